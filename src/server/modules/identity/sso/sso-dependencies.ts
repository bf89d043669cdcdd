import { createHash } from 'node:crypto';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring, SealPlace } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { StartSession } from '../identity-types.ts';
import type { MfaSecondFactor } from '../mfa/create-second-factor.ts';
import type { SsoProviders } from './sso-providers.ts';

/** An authorization request (state, nonce, PKCE verifier) is usable for this long, once. */
export const SSO_ATTEMPT_MS = 10 * 60_000;
/** A parked identity waits this long for the matching account's password. */
export const SSO_PENDING_LINK_MS = 10 * 60_000;

/** What the SSO flows use, wired once by create-identity.ts. */
export type SsoDependencies = {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  providers: SsoProviders;
  startSession: StartSession;
  secondFactor: MfaSecondFactor;
  /** accounts/: throws `invalid-credentials` unless the password is the account's. */
  provePassword(input: {
    userId: string;
    password: string;
    meta: { requestId: string; ip: string | null; userAgent: string | null };
  }): Promise<void>;
};

/** SHA-256 (hex) of a 256-bit random value: enough to find it again, useless to whoever reads the table. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function codeVerifierPlace(attemptId: string): SealPlace {
  return { table: 'sso_attempts', column: 'code_verifier_sealed', rowId: attemptId, orgId: null };
}

export function noncePlace(attemptId: string): SealPlace {
  return { table: 'sso_attempts', column: 'nonce_sealed', rowId: attemptId, orgId: null };
}
