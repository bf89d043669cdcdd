import { and, asc, desc, eq, gt, isNull } from 'drizzle-orm';
import type { SessionList } from '../../../../contracts/sessions.ts';
import { describeDevice } from './describe-device.ts';
import { REUSE_REVOKED_REASON } from './refresh-session.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { ENDED_SESSION_RETENTION_MS } from './session-lifetimes.ts';
import { refreshTokens, sessions } from './session-tables.ts';

/**
 * The caller's active sessions (newest first) and, for the security page, the sessions that
 * ended in the last 30 days because a refresh token was reused. A session is active while it is
 * not revoked, within its absolute lifetime, and its live refresh token has not idled out.
 */
export async function listSessions(
  dependencies: Pick<SessionDependencies, 'database' | 'clock'>,
  options: { userId: string; currentSessionId: string | null },
): Promise<SessionList> {
  const { database, clock } = dependencies;
  const now = clock.now();
  const active = await database.orm
    .select({
      id: sessions.id,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
      amr: sessions.amr,
      createdAt: sessions.createdAt,
      lastUsedAt: sessions.lastUsedAt,
    })
    .from(sessions)
    .innerJoin(refreshTokens, and(eq(refreshTokens.sessionId, sessions.id), isNull(refreshTokens.usedAt)))
    .where(
      and(
        eq(sessions.userId, options.userId),
        isNull(sessions.revokedAt),
        gt(sessions.absoluteExpiresAt, now),
        gt(refreshTokens.expiresAt, now),
      ),
    )
    .orderBy(desc(sessions.lastUsedAt), asc(sessions.id));
  const reused = await database.orm
    .select({ id: sessions.id, ip: sessions.ip, userAgent: sessions.userAgent, revokedAt: sessions.revokedAt })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, options.userId),
        eq(sessions.revokedReason, REUSE_REVOKED_REASON),
        gt(sessions.revokedAt, new Date(now.getTime() - ENDED_SESSION_RETENTION_MS)),
      ),
    )
    .orderBy(desc(sessions.revokedAt));
  return {
    items: active.map((row) => ({
      id: row.id,
      current: row.id === options.currentSessionId,
      device: describeDevice(row.userAgent),
      userAgent: row.userAgent,
      ip: row.ip,
      amr: row.amr,
      createdAt: row.createdAt.toISOString(),
      lastUsedAt: row.lastUsedAt.toISOString(),
    })),
    alerts: reused.map((row) => ({
      kind: 'refresh_token_reuse' as const,
      sessionId: row.id,
      detectedAt: (row.revokedAt as Date).toISOString(),
      device: describeDevice(row.userAgent),
      ip: row.ip,
    })),
  };
}
