import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { SigningKeyStore } from './signing-key-store.ts';

/** What the session functions use; createSessionService builds it once. */
export type SessionDependencies = {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  keys: SigningKeyStore;
  /** The access tokens' `iss`: the installation's public URL, or `vigil`. */
  issuer: string;
};
