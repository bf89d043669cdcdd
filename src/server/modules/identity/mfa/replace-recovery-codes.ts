import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Transaction } from '../../../platform/db/database.ts';
import { newId } from '../../../platform/db/ids.ts';
import { recoveryCodes } from './mfa-tables.ts';
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.ts';
import { recoveryCodeKeyPlace } from './seal-places.ts';

export type RecoveryCodeSet = {
  /** The plaintext codes: returned to the user once, never stored. */
  codes: string[];
  /** A fresh HMAC key for this set, sealed (to store in mfa_totp.recovery_code_key_sealed). */
  keySealed: string;
  hashes: string[];
};

/**
 * Ten new codes under a new key. Prepared outside any transaction (sealing may read data_keys);
 * a new key per set also means a hash of an old set can never match a new one.
 */
export async function newRecoveryCodeSet(options: { keyring: Keyring; userId: string }): Promise<RecoveryCodeSet> {
  const key = randomBytes(32);
  const keySealed = await options.keyring.seal(key, recoveryCodeKeyPlace(options.userId));
  const codes = newRecoveryCodes();
  const hashes = codes.map((code) => hashRecoveryCode({ key, code: normaliseRecoveryCode(code) as string }));
  return { codes, keySealed, hashes };
}

/**
 * Stores a set's hashes in place of every earlier code (used or not). The caller updates
 * mfa_totp.recovery_code_key_sealed to `set.keySealed` in the same transaction.
 */
export async function replaceRecoveryCodes(
  transaction: Transaction,
  options: { userId: string; set: RecoveryCodeSet; now: Date },
): Promise<void> {
  const { userId, set, now } = options;
  await transaction.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await transaction
    .insert(recoveryCodes)
    .values(set.hashes.map((codeHash) => ({ id: newId(), userId, codeHash, createdAt: now })));
}
