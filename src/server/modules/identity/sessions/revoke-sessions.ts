import { and, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import { users } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import type { Transaction } from '../../../platform/db/database.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { refreshTokens, sessions } from './session-tables.ts';

async function forgetLiveTokens(transaction: Transaction, sessionIds: string[]): Promise<void> {
  if (sessionIds.length === 0) return;
  await transaction
    .update(refreshTokens)
    .set({ successorToken: null })
    .where(inArray(refreshTokens.sessionId, sessionIds));
}

/**
 * Ends one session of `userId` (sign-out, "revoke" on the sessions page). Its refresh token stops
 * working at once and so do its access tokens (the authenticator checks the session on every
 * request). Returns false when the user has no such active session — someone else's included.
 */
export async function revokeSession(
  dependencies: Pick<SessionDependencies, 'database' | 'clock' | 'cache'>,
  options: { userId: string; sessionId: string; reason: string; requestId?: string },
): Promise<boolean> {
  const now = dependencies.clock.now();
  const ended = await withPlatformTransaction(
    dependencies.database,
    { userId: options.userId, requestId: options.requestId ?? '' },
    async (transaction) => {
      const revoked = await transaction
        .update(sessions)
        .set({ revokedAt: now, revokedReason: options.reason.slice(0, 64) })
        .where(and(eq(sessions.id, options.sessionId), eq(sessions.userId, options.userId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      await forgetLiveTokens(
        transaction,
        revoked.map((row) => row.id),
      );
      return revoked.length > 0;
    },
  );
  // After the commit: a request that read the session before it would otherwise cache it again.
  dependencies.cache?.invalidate({ sessionId: options.sessionId });
  return ended;
}

/**
 * The RevokeAllSessions seam: ends every session of a user except `exceptSessionId` (password
 * change keeps the caller's). With no exception — sign-out everywhere, suspension, deletion — it
 * also moves `tokens_valid_after` to now, so even an access token whose session row is somehow
 * missing is refused. Returns how many sessions ended.
 */
export async function revokeAllSessions(
  dependencies: Pick<SessionDependencies, 'database' | 'clock' | 'cache'>,
  options: { userId: string; exceptSessionId?: string | null; reason: string; requestId?: string },
): Promise<number> {
  const now = dependencies.clock.now();
  const ended = await withPlatformTransaction(
    dependencies.database,
    { userId: options.userId, requestId: options.requestId ?? '' },
    async (transaction) => {
      const revoked = await transaction
        .update(sessions)
        .set({ revokedAt: now, revokedReason: options.reason.slice(0, 64) })
        .where(
          and(
            eq(sessions.userId, options.userId),
            isNull(sessions.revokedAt),
            options.exceptSessionId ? ne(sessions.id, options.exceptSessionId) : undefined,
          ),
        )
        .returning({ id: sessions.id });
      await forgetLiveTokens(
        transaction,
        revoked.map((row) => row.id),
      );
      if (!options.exceptSessionId) {
        await transaction
          .update(users)
          .set({ tokensValidAfter: sql`GREATEST(${users.tokensValidAfter}, ${now.toISOString()}::timestamptz)` })
          .where(eq(users.id, options.userId));
      }
      return revoked.length;
    },
  );
  // Everything about the user: callers (password change, MFA change) may also have changed
  // `tokens_valid_after`, which the kept session's cached state carries too.
  dependencies.cache?.invalidate({ userId: options.userId });
  return ended;
}
