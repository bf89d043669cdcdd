import type { Authenticator, Caller } from '../../../platform/authz/caller.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { type VerifiedAccessToken, verifyAccessToken } from './access-token.ts';
import { opaqueTokensEqual } from './opaque-token.ts';
import { readSessionState } from './read-session-state.ts';
import type { CachedState } from './session-cache.ts';
import {
  needsCsrfCheck,
  readBearerToken,
  readCsrfHeader,
  readSessionCookies,
  type SessionRequest,
} from './session-cookies.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { csrfSealPlace } from './start-session.ts';

export type AuthenticatedRequest = { caller: Caller; transport: 'bearer' | 'cookie' };

const ENDED = 'The session has ended; sign in again.';

/**
 * Resolves the caller of a request from `Authorization: Bearer <access token>` (API clients) or
 * the access-token cookie (browsers), or null when the request carries neither. Besides the
 * token's signature and claims, every request checks that the session is still active, that the
 * user is not suspended and has not invalidated older tokens (`tokens_valid_after`), and reads
 * the user's *current* role in the token's organisation (`vigil_session_state`, one round trip):
 * revocation, suspension and role changes apply to the next request, not when the token expires.
 * A member removed from the token's organisation keeps a session but no membership — their
 * organisation routes answer 404, as for any non-member. A state-changing request authenticated
 * by cookie must echo the session's CSRF token.
 *
 * With a cache (`dependencies.cache`), a token verified before is not verified again until its
 * `exp`, and the session state is re-read only when the code that changed it invalidated it, a
 * change notification arrived, or it is SESSION_STATE_TTL_MS old — see session-cache.ts.
 */
export async function authenticateSessionRequest(
  dependencies: SessionDependencies,
  request: SessionRequest,
): Promise<AuthenticatedRequest | null> {
  const { keyring, clock, keys, issuer, cache } = dependencies;
  const bearer = readBearerToken(request);
  if (bearer === 'malformed')
    throw new AppError('unauthenticated', 'Send the access token as `Authorization: Bearer <token>`.');
  const transport = bearer ? 'bearer' : 'cookie';
  const token = bearer ?? readSessionCookies(request).access;
  if (!token) return null;

  const now = clock.now();
  const nowMs = now.getTime();
  let claims: VerifiedAccessToken | undefined = cache?.verifiedToken(token, nowMs);
  if (!claims) {
    claims = await verifyAccessToken({ token, keys, issuer, now });
    cache?.rememberToken(token, claims);
  }
  const state = await sessionState(dependencies, claims, nowMs);
  if (!state || state.revoked || state.absoluteExpiresAt <= nowMs) throw new AppError('unauthenticated', ENDED);
  if (state.suspended) throw new AppError('unauthenticated', 'This account is suspended.');
  // `iat` has one-second resolution, so the cut-off is compared in whole seconds: a token issued
  // in the very second of the cut-off passes (a client refreshing right after its password
  // change). The ones that matter are older, and sign-out everywhere, suspension and deletion
  // also end the sessions themselves, which the check above sees.
  if (claims.issuedAt < state.tokensValidAfterSeconds) throw new AppError('unauthenticated', ENDED);

  if (transport === 'cookie' && needsCsrfCheck(request)) {
    const presented = readCsrfHeader(request);
    state.csrfToken ??= await keyring.openText(state.sealedCsrfToken, csrfSealPlace(claims.sessionId));
    if (!presented || !opaqueTokensEqual(presented, state.csrfToken)) {
      throw new AppError('csrf-failed', 'Send the CSRF token from the `vigil_csrf` cookie in `x-csrf-token`.');
    }
  }

  // A platform administrator is one now, per the database — also for a session that predates the
  // flag. Platform admins must use MFA on every path: a session of theirs that never passed a
  // second factor is refused outright (their sign-in goes through the MFA challenge, which can
  // only enrol or verify), so it reaches nothing, not even `self` routes.
  if (state.platformAdmin && !claims.amr.includes('otp')) {
    throw new AppError('unauthenticated', 'Platform administrators must sign in with MFA; sign in again.');
  }
  return {
    transport,
    caller: {
      userId: claims.userId,
      sessionId: claims.sessionId,
      platformAdmin: state.platformAdmin,
      amr: claims.amr,
      // The role as it is now, not as the token says it was when issued.
      membership: claims.orgId && state.role ? { orgId: claims.orgId, role: state.role } : null,
    },
  };
}

async function sessionState(
  dependencies: SessionDependencies,
  claims: VerifiedAccessToken,
  nowMs: number,
): Promise<CachedState | null> {
  const { database, cache } = dependencies;
  const key = { sessionId: claims.sessionId, userId: claims.userId, orgId: claims.orgId };
  const cached = cache?.state(key, nowMs);
  if (cached && cached.userId === claims.userId) return cached;
  const generation = cache?.generation() ?? 0;
  const state = await readSessionState(database, key);
  if (!state) return null;
  return cache ? cache.rememberState(state, generation, nowMs) : { ...state, cachedAt: nowMs };
}

/** The Authenticator seam for the request pipeline. */
export function createSessionAuthenticator(dependencies: SessionDependencies): Authenticator {
  return async (request) => (await authenticateSessionRequest(dependencies, request))?.caller ?? null;
}
