import { z } from 'zod';
import {
  accessTokenSchema,
  jwksSchema,
  refreshRequestSchema,
  refreshTokenSchema,
  revokedSessionsSchema,
  sessionListSchema,
  sessionTokensSchema,
  signOutRequestSchema,
  switchOrganisationRequestSchema,
} from '../../../../contracts/sessions.ts';
import { requireSession } from '../../../platform/authz/require-caller.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { type AnyRouteDefinition, defineRoute } from '../../../platform/http/define-route.ts';
import {
  readCsrfHeader,
  readSessionCookies,
  type SessionRequest,
  sessionTransportOf,
  setAccessTokenCookie,
} from './session-cookies.ts';
import type { SessionTokens } from './session-cookies.ts';
import type { SessionService } from './session-service.ts';

const TAGS = ['sessions'];

function userAgentOf(request: SessionRequest): string | null {
  const value = request.headers['user-agent'];
  return typeof value === 'string' ? value : null;
}

/** API clients get the tokens in the body; browsers get them as cookies and only the expiry times here. */
function tokensBody(tokens: SessionTokens, transport: 'bearer' | 'cookie') {
  return {
    sessionId: tokens.sessionId,
    ...(transport === 'bearer' ? { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } : {}),
    accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
  };
}

/** The session routes: JWKS, refresh, sign-out, the sessions page and organisation switch. */
export function sessionRoutes(options: { sessions: SessionService }): AnyRouteDefinition[] {
  const { sessions } = options;
  return [
    defineRoute({
      method: 'GET',
      url: '/.well-known/jwks.json',
      summary: 'Public keys that verify access tokens',
      description:
        'Ed25519 keys (EdDSA) by `kid`: the active key and retired keys whose tokens may not have expired yet.',
      tags: TAGS,
      permission: 'public',
      audit: { optOut: 'public keys, no caller and nothing changes' },
      schema: { responses: { 200: jwksSchema } },
      handler: async ({ reply }) => {
        reply.header('cache-control', 'public, max-age=60');
        return { keys: await sessions.publishedKeys() };
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/refresh',
      summary: 'Exchange a refresh token for new tokens',
      description:
        'API clients send `refreshToken` and get both tokens back. Browsers send nothing in the body: the refresh ' +
        'cookie is used, the new tokens are set as cookies, and the `x-csrf-token` header is required. Each refresh ' +
        'token works once; presenting a used one ends the session (`token-reuse-detected`), except a retry of the ' +
        'previous token within 10 seconds, which gets the current tokens again.',
      tags: TAGS,
      permission: 'public',
      audit: { optOut: 'routine rotation every few minutes; reuse is audited by the service' },
      schema: { body: refreshRequestSchema, responses: { 200: sessionTokensSchema } },
      handler: async ({ body, request, reply, requestId, log }) => {
        const fromBody = body?.refreshToken;
        const fromCookie = fromBody ? null : readSessionCookies(request).refresh;
        const refreshToken = fromBody ?? fromCookie;
        if (!refreshToken || !refreshTokenSchema.safeParse(refreshToken).success) {
          if (fromCookie) sessions.clearSessionCookies(reply);
          throw new AppError('unauthenticated', 'No refresh token: send `refreshToken` or the session cookie.');
        }
        const transport = fromBody ? 'bearer' : 'cookie';
        const outcome = await sessions.refreshSession({
          refreshToken,
          csrf: transport === 'cookie' ? { presented: readCsrfHeader(request) } : null,
          ip: request.ip,
          userAgent: userAgentOf(request),
          requestId,
        });
        switch (outcome.kind) {
          case 'refreshed':
            if (transport === 'cookie') sessions.setSessionCookies(reply, outcome.tokens);
            return tokensBody(outcome.tokens, transport);
          case 'csrf-failed':
            throw new AppError('csrf-failed', 'Send the CSRF token from the `vigil_csrf` cookie in `x-csrf-token`.');
          case 'reused':
            log.warn({ sessionId: outcome.sessionId, userId: outcome.userId }, 'refresh token reuse: session revoked');
            if (transport === 'cookie') sessions.clearSessionCookies(reply);
            throw new AppError(
              'token-reuse-detected',
              'This refresh token was already used, so the session was ended for safety. Sign in again.',
            );
          case 'invalid':
            if (transport === 'cookie') sessions.clearSessionCookies(reply);
            throw new AppError(
              'unauthenticated',
              outcome.reason === 'expired'
                ? 'The session has expired; sign in again.'
                : 'The refresh token is not valid; sign in again.',
            );
        }
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/sign-out',
      summary: 'Sign out (this session, or everywhere)',
      description:
        'Ends the session named by the bearer access token, the session cookies, or `refreshToken`. With ' +
        '`everywhere: true` every session of the account ends and all its access tokens stop working at once. ' +
        'Cookies are always cleared; signing out without a valid session is not an error.',
      tags: TAGS,
      permission: 'public',
      audit: { action: 'session.signed_out' },
      schema: {
        body: signOutRequestSchema,
        responses: { 200: z.object({ sessionsEnded: z.number().int() }) },
      },
      handler: async ({ body, request, reply, requestId, audit }) => {
        const transport = body?.refreshToken ? 'bearer' : sessionTransportOf(request);
        let session: { sessionId: string; userId: string } | null = null;
        if (body?.refreshToken) {
          const found = await sessions.identifyRefreshToken({ refreshToken: body.refreshToken, csrf: null });
          session = found === 'csrf-failed' ? null : found;
        } else {
          const authenticated = await sessions.authenticateRequest(request).catch((error: unknown) => {
            // An expired or revoked access token: fall back to the refresh cookie below. A failed
            // CSRF check is not a session problem and must not be bypassed by that fallback.
            if (error instanceof AppError && error.code === 'unauthenticated') return null;
            throw error;
          });
          if (authenticated?.caller.sessionId) {
            session = { sessionId: authenticated.caller.sessionId, userId: authenticated.caller.userId };
          } else if (transport === 'cookie') {
            const refreshToken = readSessionCookies(request).refresh;
            if (refreshToken) {
              const found = await sessions.identifyRefreshToken({
                refreshToken,
                csrf: { presented: readCsrfHeader(request) },
              });
              if (found === 'csrf-failed') {
                throw new AppError(
                  'csrf-failed',
                  'Send the CSRF token from the `vigil_csrf` cookie in `x-csrf-token`.',
                );
              }
              session = found;
            }
          }
        }
        if (transport === 'cookie') sessions.clearSessionCookies(reply);
        if (!session) {
          audit.metadata({ sessionFound: false });
          return { sessionsEnded: 0 };
        }
        audit.actor(session.userId);
        audit.target('session', session.sessionId);
        let sessionsEnded: number;
        if (body?.everywhere) {
          sessionsEnded = await sessions.revokeSessions({
            userId: session.userId,
            reason: 'signed_out_everywhere',
            requestId,
          });
          audit.metadata({ everywhere: true, sessionsEnded });
        } else {
          const ended = await sessions.revokeSession({
            userId: session.userId,
            sessionId: session.sessionId,
            reason: 'signed_out',
            requestId,
          });
          sessionsEnded = ended ? 1 : 0;
        }
        return { sessionsEnded };
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/api/me/sessions',
      summary: 'List my active sessions',
      description:
        'Device (from the user agent), IP and last refresh of every active session, and alerts for sessions ended ' +
        'in the last 30 days because a refresh token was reused.',
      tags: TAGS,
      permission: 'self',
      audit: { optOut: "reading the caller's own sessions" },
      schema: { responses: { 200: sessionListSchema } },
      handler: ({ caller }) => {
        const me = requireSession(caller);
        return sessions.listSessions({ userId: me.userId, currentSessionId: me.sessionId });
      },
    }),

    defineRoute({
      method: 'DELETE',
      url: '/api/me/sessions/:sessionId',
      summary: 'End one of my sessions',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'session.revoked' },
      schema: {
        params: z.object({ sessionId: z.uuid() }),
        responses: { 200: revokedSessionsSchema },
      },
      handler: async ({ caller, params, request, reply, requestId, audit }) => {
        const me = requireSession(caller);
        audit.target('session', params.sessionId);
        const ended = await sessions.revokeSession({
          userId: me.userId,
          sessionId: params.sessionId,
          reason: 'revoked_by_user',
          requestId,
        });
        // Someone else's session, or one already ended: the same answer, nothing revealed.
        if (!ended) throw new AppError('not-found');
        if (params.sessionId === me.sessionId && sessionTransportOf(request) === 'cookie') {
          sessions.clearSessionCookies(reply);
        }
        return { revoked: 1 };
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/me/sessions/revoke-others',
      summary: 'End all my other sessions',
      description: 'Every session of the account except the one making this request.',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'session.others_revoked' },
      schema: { responses: { 200: revokedSessionsSchema } },
      handler: async ({ caller, requestId, audit }) => {
        const me = requireSession(caller);
        const revoked = await sessions.revokeSessions({
          userId: me.userId,
          exceptSessionId: me.sessionId,
          reason: 'revoked_others',
          requestId,
        });
        audit.metadata({ revoked });
        return { revoked };
      },
    }),

    defineRoute({
      method: 'PUT',
      url: '/api/me/session/organisation',
      summary: 'Switch the organisation of my session',
      description:
        'Re-issues the access token for another organisation the caller belongs to, with the role read from the ' +
        'database. Browsers get it as a cookie; API clients in the body.',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'session.organisation_switched' },
      schema: { body: switchOrganisationRequestSchema, responses: { 200: accessTokenSchema } },
      handler: async ({ caller, body, request, reply, requestId, audit }) => {
        const me = requireSession(caller);
        audit.target('organisation', body.orgId);
        const switched = await sessions.switchOrganisation({
          userId: me.userId,
          sessionId: me.sessionId,
          orgId: body.orgId,
          requestId,
        });
        const transport = sessionTransportOf(request);
        if (transport === 'cookie') setAccessTokenCookie(reply, switched.accessToken, switched.accessTokenExpiresAt);
        return {
          ...(transport === 'bearer' ? { accessToken: switched.accessToken } : {}),
          accessTokenExpiresAt: switched.accessTokenExpiresAt.toISOString(),
          orgId: switched.orgId,
          role: switched.role,
        };
      },
    }),
  ];
}
