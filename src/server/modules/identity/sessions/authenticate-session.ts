import { eq } from 'drizzle-orm';
import type { Authenticator, Caller } from '../../../platform/authz/caller.ts';
import { users } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { verifyAccessToken } from './access-token.ts';
import { opaqueTokensEqual } from './opaque-token.ts';
import {
  needsCsrfCheck,
  readBearerToken,
  readCsrfHeader,
  readSessionCookies,
  type SessionRequest,
} from './session-cookies.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { sessions } from './session-tables.ts';
import { csrfSealPlace } from './start-session.ts';

export type AuthenticatedRequest = { caller: Caller; transport: 'bearer' | 'cookie' };

const ENDED = 'The session has ended; sign in again.';

/**
 * Resolves the caller of a request from `Authorization: Bearer <access token>` (API clients) or
 * the access-token cookie (browsers), or null when the request carries neither. Besides the
 * token's signature and claims, every request checks — in one query — that the session is still
 * active and that the user is not suspended and has not invalidated older tokens
 * (`tokens_valid_after`): revocation applies at once, not when the token expires. A
 * state-changing request authenticated by cookie must echo the session's CSRF token.
 */
export async function authenticateSessionRequest(
  dependencies: SessionDependencies,
  request: SessionRequest,
): Promise<AuthenticatedRequest | null> {
  const { database, keyring, clock, keys, issuer } = dependencies;
  const bearer = readBearerToken(request);
  if (bearer === 'malformed')
    throw new AppError('unauthenticated', 'Send the access token as `Authorization: Bearer <token>`.');
  const transport = bearer ? 'bearer' : 'cookie';
  const token = bearer ?? readSessionCookies(request).access;
  if (!token) return null;

  const now = clock.now();
  const claims = await verifyAccessToken({ token, keys, issuer, now });
  const [row] = await database.orm
    .select({
      userId: sessions.userId,
      revokedAt: sessions.revokedAt,
      absoluteExpiresAt: sessions.absoluteExpiresAt,
      csrfToken: sessions.csrfToken,
      platformAdmin: users.platformAdmin,
      suspendedAt: users.suspendedAt,
      tokensValidAfter: users.tokensValidAfter,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, claims.sessionId));
  if (!row || row.userId !== claims.userId || row.revokedAt || row.absoluteExpiresAt <= now) {
    throw new AppError('unauthenticated', ENDED);
  }
  if (row.suspendedAt) throw new AppError('unauthenticated', 'This account is suspended.');
  // `iat` has one-second resolution, so the cut-off is compared in whole seconds: a token issued
  // in the very second of the cut-off passes (a client refreshing right after its password
  // change). The ones that matter are older, and sign-out everywhere, suspension and deletion
  // also end the sessions themselves, which the check above sees.
  if (claims.issuedAt < Math.floor(row.tokensValidAfter.getTime() / 1000)) throw new AppError('unauthenticated', ENDED);

  if (transport === 'cookie' && needsCsrfCheck(request)) {
    const presented = readCsrfHeader(request);
    const expected = await keyring.openText(row.csrfToken, csrfSealPlace(claims.sessionId));
    if (!presented || !opaqueTokensEqual(presented, expected)) {
      throw new AppError('csrf-failed', 'Send the CSRF token from the `vigil_csrf` cookie in `x-csrf-token`.');
    }
  }

  // A platform administrator is one now, per the database — also for a session that predates the
  // flag. Platform admins must use MFA on every path: a session of theirs that never passed a
  // second factor is refused outright (their sign-in goes through the MFA challenge, which can
  // only enrol or verify), so it reaches nothing, not even `self` routes.
  if (row.platformAdmin && !claims.amr.includes('otp')) {
    throw new AppError('unauthenticated', 'Platform administrators must sign in with MFA; sign in again.');
  }
  return {
    transport,
    caller: {
      userId: claims.userId,
      sessionId: claims.sessionId,
      platformAdmin: row.platformAdmin,
      amr: claims.amr,
      membership: claims.orgId && claims.role ? { orgId: claims.orgId, role: claims.role } : null,
    },
  };
}

/** The Authenticator seam for the request pipeline. */
export function createSessionAuthenticator(dependencies: SessionDependencies): Authenticator {
  return async (request) => (await authenticateSessionRequest(dependencies, request))?.caller ?? null;
}
