import { and, desc, eq, ilike, isNull, lt, sql } from 'drizzle-orm';
import type { AdminUserView } from '../../../contracts/organisations.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { users } from '../../platform/db/schema.ts';
import { mfaTotp } from '../identity/mfa/mfa-tables.ts';
import { sessions } from '../identity/sessions/session-tables.ts';
import { likePattern } from './search-organisations.ts';

/** Users for the platform console, newest first, filtered by email. */
export async function searchUsers(
  transaction: Transaction,
  options: { q?: string | undefined; limit: number; cursor?: string | undefined; now: Date },
): Promise<{ items: AdminUserView[]; nextCursor: string | null }> {
  const text = options.q?.trim().toLowerCase();
  const activeSessions = transaction
    .select({ userId: sessions.userId, count: sql<number>`count(*)::int`.as('count') })
    .from(sessions)
    .where(
      and(isNull(sessions.revokedAt), sql`${sessions.absoluteExpiresAt} > ${options.now.toISOString()}::timestamptz`),
    )
    .groupBy(sessions.userId)
    .as('active_sessions');
  const rows = await transaction
    .select({
      user: users,
      mfaConfirmedAt: mfaTotp.confirmedAt,
      activeSessions: activeSessions.count,
    })
    .from(users)
    .leftJoin(mfaTotp, eq(mfaTotp.userId, users.id))
    .leftJoin(activeSessions, eq(activeSessions.userId, users.id))
    .where(
      and(
        text ? ilike(users.emailNormalised, likePattern(text)) : undefined,
        options.cursor ? lt(users.id, options.cursor) : undefined,
      ),
    )
    .orderBy(desc(users.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  return {
    items: page.map(({ user, mfaConfirmedAt, activeSessions: sessionCount }) => ({
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      emailVerified: user.emailVerifiedAt !== null,
      platformAdmin: user.platformAdmin,
      mfaEnabled: mfaConfirmedAt !== null && mfaConfirmedAt !== undefined,
      suspendedAt: user.suspendedAt?.toISOString() ?? null,
      createdAt: user.createdAt.toISOString(),
      activeSessions: sessionCount ?? 0,
    })),
    nextCursor: rows.length > options.limit ? (page.at(-1)?.user.id ?? null) : null,
  };
}
