import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { SessionCache } from './session-cache.ts';
import type { SigningKeyStore } from './signing-key-store.ts';

/** What the session functions use; createSessionService builds it once. */
export type SessionDependencies = {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  keys: SigningKeyStore;
  /** The access tokens' `iss`: the installation's public URL, or `vigil`. */
  issuer: string;
  /**
   * Verified tokens and session states (session-cache.ts). Absent: every request verifies the
   * signature and reads the database. Code that revokes or changes what a session may do calls
   * `cache.invalidate` after committing.
   */
  cache?: SessionCache;
};
