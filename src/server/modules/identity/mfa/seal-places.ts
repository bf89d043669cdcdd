import type { SealPlace } from '../../../platform/crypto/keyring.ts';

/** Where a user's TOTP secret is sealed: bound into the ciphertext, so it opens in no other row. */
export function totpSecretPlace(userId: string): SealPlace {
  return { table: 'mfa_totp', column: 'secret_sealed', rowId: userId, orgId: null };
}

/** Where a user's recovery-code HMAC key is sealed. */
export function recoveryCodeKeyPlace(userId: string): SealPlace {
  return { table: 'mfa_totp', column: 'recovery_code_key_sealed', rowId: userId, orgId: null };
}
