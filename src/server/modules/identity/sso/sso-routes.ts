import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  linkedIdentitiesResponseSchema,
  type SsoCallbackResponse,
  ssoCallbackRequestSchema,
  ssoCallbackResponseSchema,
  ssoLinkCompleteRequestSchema,
  ssoProvidersResponseSchema,
  ssoStartResponseSchema,
} from '../../../../contracts/sso.ts';
import type { Caller } from '../../../platform/authz/caller.ts';
import { requireSignedIn } from '../../../platform/authz/require-caller.ts';
import { type AnyRouteDefinition, defineRoute } from '../../../platform/http/define-route.ts';
import type { SetSessionCookies } from '../identity-types.ts';
import { withoutTokensForBrowsers } from '../sessions/token-delivery.ts';
import type { SsoSignInOutcome } from './complete-sso-login.ts';
import { clearSsoBindingCookie, readSsoBindingCookie, setSsoBindingCookie } from './sso-browser-binding.ts';
import type { SsoService } from './create-sso.ts';

const TAGS = ['identity', 'sso'];
/**
 * Looser than a provider id on purpose: path parameters are checked before authentication, and an
 * anonymous caller must get the same 401 on `/api/me/...` whatever it puts there. An id that is
 * not configured is `sso-provider-unknown` (404) from the service.
 */
const providerParams = z.object({
  provider: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'Not a provider id.'),
});
const linkStartRequestSchema = z
  .object({ password: z.string().min(1).max(1024).optional() })
  .optional()
  .describe('The current password, when the account has one');

function requestMeta(request: FastifyRequest, requestId: string) {
  const userAgent = request.headers['user-agent'];
  return { requestId, ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

export function ssoRoutes(deps: {
  sso: SsoService;
  setSessionCookies: SetSessionCookies;
  /** Step-up (a code within 10 minutes) for accounts with MFA. */
  demandStepUp: (caller: Caller) => Promise<void>;
  /** The installation's public URL (redirect URIs); null: the request's own origin (development). */
  publicUrl: string | null;
}): AnyRouteDefinition[] {
  const { sso, setSessionCookies } = deps;

  /** The provider sends the browser back to the web app's page, which posts the answer to the API. */
  function redirectUri(request: FastifyRequest, providerId: string): string {
    const base = (deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
    return `${base}/sso/${providerId}/callback`;
  }

  function respond(outcome: SsoSignInOutcome, request: FastifyRequest, reply: Parameters<SetSessionCookies>[0]) {
    switch (outcome.kind) {
      case 'session':
        setSessionCookies(reply, outcome.tokens);
        return withoutTokensForBrowsers(request, {
          outcome: 'signed-in' as const,
          mfaRequired: false as const,
          sessionId: outcome.tokens.sessionId,
          accessToken: outcome.tokens.accessToken,
          accessTokenExpiresAt: outcome.tokens.accessTokenExpiresAt.toISOString(),
          refreshToken: outcome.tokens.refreshToken,
          refreshTokenExpiresAt: outcome.tokens.refreshTokenExpiresAt.toISOString(),
          user: outcome.user,
        });
      case 'second-factor':
        return {
          outcome: 'mfa-required' as const,
          mfaRequired: true as const,
          challengeToken: outcome.challengeToken,
          expiresAt: outcome.expiresAt.toISOString(),
          enrolmentRequired: outcome.enrolmentRequired,
          email: outcome.email,
        };
      case 'link-required':
        return {
          outcome: 'link-required' as const,
          linkToken: outcome.linkToken,
          expiresAt: outcome.expiresAt.toISOString(),
          email: outcome.email,
          provider: outcome.provider,
          hasPassword: outcome.hasPassword,
          secondFactorRequired: outcome.secondFactorRequired,
        };
      case 'linked':
        return { outcome: 'linked' as const, provider: outcome.provider };
    }
  }

  return [
    defineRoute({
      method: 'GET',
      url: '/api/auth/sso/providers',
      summary: 'List the single sign-on providers',
      description: 'The providers this installation configured (Google, OpenID Connect); empty when none.',
      tags: TAGS,
      permission: 'public',
      audit: { optOut: 'public configuration, nothing changes' },
      schema: { responses: { 200: ssoProvidersResponseSchema } },
      handler: async () => ({ items: sso.providers.list() }),
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/sso/:provider/start',
      summary: 'Start signing in with a provider',
      description:
        'Returns the provider URL to send the browser to (authorization code + PKCE S256, fresh state and nonce, valid 10 minutes, once) and sets an httpOnly cookie binding the attempt to this browser.',
      tags: TAGS,
      permission: 'public',
      rateLimit: { policy: 'auth' },
      audit: { optOut: 'records only an attempt in flight; its outcome is audited by the callback' },
      schema: { params: providerParams, responses: { 200: ssoStartResponseSchema } },
      handler: async ({ params, request, reply, requestId }) => {
        const started = await sso.start({
          providerId: params.provider,
          redirectUri: redirectUri(request, params.provider),
          linkUserId: null,
          requestId,
        });
        setSsoBindingCookie(reply, started.browserBinding);
        return { authorizationUrl: started.authorizationUrl };
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/sso/:provider/callback',
      summary: "Complete a provider sign-in with the provider's answer",
      description:
        'The web page the provider redirected to posts its query string here. Needs the binding cookie of the browser that started. Answers a session (`signed-in`), the MFA step (`mfa-required`, as after a password), `link-required` when the verified email belongs to an existing account that must first prove control (`POST /api/auth/sso/link/complete`), or `linked` for a link started from the security page.',
      tags: TAGS,
      permission: 'public',
      rateLimit: { policy: 'auth' },
      audit: { action: 'sso.signed_in', sensitive: true },
      schema: { params: providerParams, body: ssoCallbackRequestSchema, responses: { 200: ssoCallbackResponseSchema } },
      handler: async ({ params, body, request, reply, requestId, audit }): Promise<SsoCallbackResponse> => {
        const browserBinding = readSsoBindingCookie(request);
        // The attempt is single use whatever happens next; the cookie has done its job.
        clearSsoBindingCookie(reply);
        const outcome = await sso.complete({
          providerId: params.provider,
          search: body.search,
          browserBinding,
          meta: requestMeta(request, requestId),
          audit,
        });
        return respond(outcome, request, reply);
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/sso/link/complete',
      summary: 'Link a provider identity to your existing account and sign in',
      description:
        "After `link-required`: the account's password (and a code when it uses MFA) proves the account is yours; only then is the identity linked. Wrong passwords count like sign-in attempts.",
      tags: TAGS,
      permission: 'public',
      rateLimit: { policy: 'auth' },
      audit: { action: 'sso.identity_linked', sensitive: true },
      schema: { body: ssoLinkCompleteRequestSchema, responses: { 200: ssoCallbackResponseSchema } },
      handler: async ({ body, request, reply, requestId, audit }): Promise<SsoCallbackResponse> => {
        const proof =
          body.code !== undefined
            ? { code: body.code }
            : body.recoveryCode !== undefined
              ? { recoveryCode: body.recoveryCode }
              : null;
        const outcome = await sso.completePendingLink({
          linkToken: body.linkToken,
          password: body.password,
          proof,
          meta: requestMeta(request, requestId),
          audit,
        });
        return respond(outcome, request, reply);
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/api/me/sso/identities',
      summary: 'List the provider identities linked to your account',
      tags: TAGS,
      permission: 'self',
      audit: { optOut: 'reading your own linked identities' },
      schema: { responses: { 200: linkedIdentitiesResponseSchema } },
      handler: async ({ caller, requestId }) => sso.listLinked({ userId: requireSignedIn(caller).userId, requestId }),
    }),

    defineRoute({
      method: 'POST',
      url: '/api/me/sso/:provider/link',
      summary: 'Start linking a provider to your account',
      description:
        'Needs your current password when the account has one, and a step-up with MFA: a linked identity is a new way into the account. Returns the provider URL; the callback answers `linked`.',
      tags: TAGS,
      permission: 'self',
      rateLimit: { policy: 'auth' },
      audit: { action: 'sso.link_started', sensitive: true },
      schema: { params: providerParams, body: linkStartRequestSchema, responses: { 200: ssoStartResponseSchema } },
      handler: async ({ params, body, caller, request, reply, requestId, audit }) => {
        const signedInCaller = requireSignedIn(caller);
        audit.target('user', signedInCaller.userId);
        audit.metadata({ provider: params.provider });
        await deps.demandStepUp(signedInCaller);
        const started = await sso.startLink({
          caller: signedInCaller,
          password: body?.password ?? null,
          providerId: params.provider,
          redirectUri: redirectUri(request, params.provider),
          meta: requestMeta(request, requestId),
        });
        setSsoBindingCookie(reply, started.browserBinding);
        return { authorizationUrl: started.authorizationUrl };
      },
    }),

    defineRoute({
      method: 'DELETE',
      url: '/api/me/sso/identities/:identityId',
      summary: 'Unlink a provider identity',
      description:
        'Needs a step-up with MFA. Refused (409 `sso-last-sign-in-method`) when it is the only way left to sign in.',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'sso.identity_unlinked', sensitive: true },
      schema: {
        params: z.object({ identityId: z.uuid() }),
        responses: { 200: linkedIdentitiesResponseSchema },
      },
      handler: async ({ params, caller, platform, audit, requestId }) => {
        const signedInCaller = requireSignedIn(caller);
        audit.target('user', signedInCaller.userId);
        await deps.demandStepUp(signedInCaller);
        audit.metadata({ identityId: params.identityId });
        await platform(async (transaction) => {
          const { provider } = await sso.unlink(transaction, {
            userId: signedInCaller.userId,
            identityId: params.identityId,
          });
          // Before the work returns: the audit event is written when the transaction commits.
          audit.metadata({ provider });
        });
        return sso.listLinked({ userId: signedInCaller.userId, requestId });
      },
    }),
  ];
}
