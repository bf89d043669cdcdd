import { eq } from 'drizzle-orm';
import { hashOpaqueToken, opaqueTokensEqual } from './opaque-token.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { refreshTokens, sessions } from './session-tables.ts';
import { csrfSealPlace } from './start-session.ts';

/**
 * The session a refresh token (any of its family, used or not) belongs to, without rotating
 * anything: sign-out ends that session. Cookie requests must carry the session's CSRF token.
 */
export async function identifyRefreshToken(
  dependencies: Pick<SessionDependencies, 'database' | 'keyring'>,
  options: { refreshToken: string; csrf: { presented: string | null } | null },
): Promise<{ sessionId: string; userId: string } | 'csrf-failed' | null> {
  const [row] = await dependencies.database.orm
    .select({ sessionId: sessions.id, userId: sessions.userId, csrfToken: sessions.csrfToken })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, hashOpaqueToken(options.refreshToken)));
  if (!row) return null;
  if (options.csrf) {
    const expected = await dependencies.keyring.openText(row.csrfToken, csrfSealPlace(row.sessionId));
    if (options.csrf.presented === null || !opaqueTokensEqual(options.csrf.presented, expected)) return 'csrf-failed';
  }
  return { sessionId: row.sessionId, userId: row.userId };
}
