import { and, isNotNull, isNull, lt } from 'drizzle-orm';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import { queryRows } from '../../../platform/db/query-rows.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { sql } from 'drizzle-orm';
import { generateSigningKey } from './generate-signing-key.ts';
import { RETIRED_KEY_VERIFY_MS } from './session-lifetimes.ts';
import { jwtSigningKeys } from './session-tables.ts';

export type SigningKeyRotation = {
  /** The key signing from now on (the existing one when rotation was not due). */
  activeKid: string;
  rotated: boolean;
  /** Retired keys past their verification window, deleted with their private keys. */
  deletedKids: string[];
};

/**
 * Makes a new signing key the active one (`vigil keys rotate-jwt`, and the scheduled rotation
 * with `onlyIfOlderThanMs`). The previous key is retired, not deleted: tokens it signed stay
 * valid until they expire, and it stays in the JWKS until then. Keys retired longer ago than
 * that are deleted, private key included. Concurrent rotations serialise on an advisory lock, so
 * two workers running the schedule at once rotate once.
 */
export async function rotateJwtSigningKey(options: {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  onlyIfOlderThanMs?: number;
  requestId?: string;
}): Promise<SigningKeyRotation> {
  const { database, keyring, clock } = options;
  const now = clock.now();
  // Sealing reads the data keys through its own connection: do it before taking the lock.
  const candidate = await generateSigningKey({ keyring, createdAt: now });
  return withPlatformTransaction(
    database,
    { userId: null, requestId: options.requestId ?? '' },
    async (transaction) => {
      await queryRows(transaction, sql`SELECT pg_advisory_xact_lock(hashtextextended('vigil:jwt-signing-key', 0))`);
      const [active] = await transaction
        .select({ id: jwtSigningKeys.id, createdAt: jwtSigningKeys.createdAt })
        .from(jwtSigningKeys)
        .where(isNull(jwtSigningKeys.retiredAt));
      const due =
        !active ||
        options.onlyIfOlderThanMs === undefined ||
        now.getTime() - active.createdAt.getTime() >= options.onlyIfOlderThanMs;
      if (due) {
        await transaction.update(jwtSigningKeys).set({ retiredAt: now }).where(isNull(jwtSigningKeys.retiredAt));
        await transaction.insert(jwtSigningKeys).values(candidate);
      }
      const deleted = await transaction
        .delete(jwtSigningKeys)
        .where(
          and(
            isNotNull(jwtSigningKeys.retiredAt),
            lt(jwtSigningKeys.retiredAt, new Date(now.getTime() - RETIRED_KEY_VERIFY_MS)),
          ),
        )
        .returning({ id: jwtSigningKeys.id });
      return {
        activeKid: due ? candidate.id : (active as { id: string }).id,
        rotated: due,
        deletedKids: deleted.map((row) => row.id),
      };
    },
  );
}
