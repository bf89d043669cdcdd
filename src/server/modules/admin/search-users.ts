import { and, desc, eq, ilike, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { AdminUserView } from '../../../contracts/organisations.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { users } from '../../platform/db/schema.ts';
import { mfaTotp } from '../identity/mfa/mfa-tables.ts';
import { sessions } from '../identity/sessions/session-tables.ts';
import { likePattern } from './search-organisations.ts';

/**
 * Users for the platform console, newest first, filtered by email. Active sessions are counted
 * for the page's users only (a second statement), not aggregated over every user first.
 */
export async function searchUsers(
  transaction: Transaction,
  options: { q?: string | undefined; limit: number; cursor?: string | undefined; now: Date },
): Promise<{ items: AdminUserView[]; nextCursor: string | null }> {
  const text = options.q?.trim().toLowerCase();
  const rows = await transaction
    .select({ user: users, mfaConfirmedAt: mfaTotp.confirmedAt })
    .from(users)
    .leftJoin(mfaTotp, eq(mfaTotp.userId, users.id))
    .where(
      and(
        text ? ilike(users.emailNormalised, likePattern(text)) : undefined,
        options.cursor ? lt(users.id, options.cursor) : undefined,
      ),
    )
    .orderBy(desc(users.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const sessionCounts = await countActiveSessions(
    transaction,
    page.map(({ user }) => user.id),
    options.now,
  );
  return {
    items: page.map(({ user, mfaConfirmedAt }) => ({
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      emailVerified: user.emailVerifiedAt !== null,
      platformAdmin: user.platformAdmin,
      mfaEnabled: mfaConfirmedAt !== null && mfaConfirmedAt !== undefined,
      suspendedAt: user.suspendedAt?.toISOString() ?? null,
      createdAt: user.createdAt.toISOString(),
      activeSessions: sessionCounts.get(user.id) ?? 0,
    })),
    nextCursor: rows.length > options.limit ? (page.at(-1)?.user.id ?? null) : null,
  };
}

/** Sessions neither revoked nor past their absolute expiry, per user, for the given users only. */
async function countActiveSessions(
  transaction: Transaction,
  userIds: string[],
  now: Date,
): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const counts = await transaction
    .select({ userId: sessions.userId, count: sql<number>`count(*)::int` })
    .from(sessions)
    .where(
      and(
        inArray(sessions.userId, userIds),
        isNull(sessions.revokedAt),
        sql`${sessions.absoluteExpiresAt} > ${now.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(sessions.userId);
  return new Map(counts.map(({ userId, count }) => [userId, count]));
}
