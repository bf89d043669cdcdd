import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { PASSWORD_MAX_BYTES } from '../../../../contracts/identity.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { normalisePassword, utf8ByteLength } from './password-policy.ts';

export type PasswordHasher = {
  /** bcrypt at the configured cost. Refuses (never truncates) passwords over 72 UTF-8 bytes. */
  hash(password: string): Promise<string>;
  /**
   * Compares in (roughly) constant time whether or not there is a hash: without one (unknown
   * email, account without a password) it compares against a dummy hash of the same cost, so
   * both answers take one bcrypt computation. A password bcrypt would truncate never matches.
   */
  verify(options: { password: string; hash: string | null }): Promise<boolean>;
  /** True when the hash was made with a lower cost than configured: re-hash after a sign-in. */
  needsRehash(hash: string): boolean;
  /** Computes the dummy hash now (at start-up) instead of at the first unknown-email sign-in. */
  warmUp(): Promise<void>;
};

export function createPasswordHasher(options: { cost: number }): PasswordHasher {
  const { cost } = options;
  let dummyHash: Promise<string> | null = null;
  const dummy = () => {
    dummyHash ??= bcrypt.hash(randomBytes(32).toString('base64url'), cost);
    return dummyHash;
  };

  return {
    async hash(password) {
      const normalised = normalisePassword(password);
      if (utf8ByteLength(normalised) > PASSWORD_MAX_BYTES) {
        throw new AppError('password-too-long', `Passwords can be at most ${PASSWORD_MAX_BYTES} bytes long.`);
      }
      return bcrypt.hash(normalised, cost);
    },
    async verify({ password, hash }) {
      const normalised = normalisePassword(password);
      // bcrypt ignores bytes after the 72nd: a longer input could match the hash of its prefix.
      // Such a password was never accepted, so it cannot be right; still pay for one comparison.
      const comparable = utf8ByteLength(normalised) <= PASSWORD_MAX_BYTES;
      const matches = await bcrypt.compare(comparable ? normalised : '', hash ?? (await dummy()));
      return matches && comparable && hash !== null;
    },
    needsRehash(hash) {
      try {
        return bcrypt.getRounds(hash) < cost;
      } catch {
        return true;
      }
    },
    async warmUp() {
      await dummy();
    },
  };
}
