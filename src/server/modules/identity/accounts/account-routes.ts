import type { FastifyReply } from 'fastify';
import { withoutTokensForBrowsers } from '../sessions/token-delivery.ts';
import type { FastifyRequest } from 'fastify';
import {
  acceptedResponseSchema,
  changePasswordRequestSchema,
  deleteAccountRequestSchema,
  deleteAccountResponseSchema,
  changePasswordResponseSchema,
  meResponseSchema,
  passwordResetCompletedResponseSchema,
  passwordResetCompleteSchema,
  passwordResetRequestSchema,
  resendVerificationRequestSchema,
  type SignInResponse,
  signInRequestSchema,
  signInResponseSchema,
  signUpRequestSchema,
  verifyEmailRequestSchema,
  verifyEmailResponseSchema,
} from '../../../../contracts/identity.ts';
import { requireSignedIn } from '../../../platform/authz/require-caller.ts';
import { type AnyRouteDefinition, defineRoute } from '../../../platform/http/define-route.ts';
import type { RouteRateLimit } from '../../../platform/rate-limit/rate-limiter.ts';
import type { SetSessionCookies } from '../identity-types.ts';
import type { RequestMeta } from './account-context.ts';
import type { AccountService } from './account-service.ts';

export type AccountRoutesDependencies = {
  accounts: AccountService;
  setSessionCookies: SetSessionCookies;
  /** Clears the browser's session cookies (after account deletion). */
  clearSessionCookies?: (reply: FastifyReply) => void;
};

const SIGN_UP_ACCEPTED =
  'Check your inbox: we sent a message to finish signing up. If it does not arrive, check the address and your spam folder.';
const RESEND_ACCEPTED = 'If this address has an account waiting for verification, a new link is on its way.';
const RESET_ACCEPTED =
  'If this address has an account, a password reset link is on its way. It works once, for 30 minutes.';

function requestMeta(request: FastifyRequest, requestId: string): RequestMeta {
  const userAgent = request.headers['user-agent'];
  return { requestId, ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

/**
 * The platform's authentication-route limit: a bucket per client IP and one per email (hashed),
 * counting every request. The accounts module adds its own count of wrong passwords on top.
 */
const perIpAndEmail: RouteRateLimit = {
  policy: 'auth',
  identifier: (body) => (body as { email?: string } | undefined)?.email,
};
/** Token-carrying routes: the tokens are unguessable, so per IP is enough. */
const perIp: RouteRateLimit = { policy: 'auth' };

/** Routes of the accounts module: the /api/auth ones run before there is a session, /api/me for the signed-in caller. */
export function accountRoutes(dependencies: AccountRoutesDependencies): AnyRouteDefinition[] {
  const { accounts, setSessionCookies, clearSessionCookies } = dependencies;
  return [
    defineRoute({
      method: 'POST',
      url: '/api/auth/sign-up',
      summary: 'Create an account and mail a verification link',
      description:
        'Answers 202 with the same body whether or not the email already has an account (its owner is mailed instead), so sign-up does not reveal which emails are registered.',
      tags: ['accounts'],
      permission: 'public',
      rateLimit: perIpAndEmail,
      audit: {
        optOut:
          'account.signed_up is appended by the service only when an account is created; an attempt on a registered email is not an account event',
      },
      schema: { body: signUpRequestSchema, responses: { 202: acceptedResponseSchema } },
      handler: async ({ body, request, requestId, reply }) => {
        await accounts.signUp({
          email: body.email,
          password: body.password,
          displayName: body.displayName ?? null,
          meta: requestMeta(request, requestId),
        });
        reply.code(202);
        return { message: SIGN_UP_ACCEPTED };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/auth/verify-email',
      summary: 'Verify an email address with the emailed token',
      tags: ['accounts'],
      permission: 'public',
      rateLimit: perIp,
      audit: { action: 'account.email_verified' },
      schema: { body: verifyEmailRequestSchema, responses: { 200: verifyEmailResponseSchema } },
      handler: async ({ body, platform, audit }) => {
        await accounts.verifyEmail({ token: body.token, unit: { run: platform, audit } });
        return { emailVerified: true as const };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/auth/verify-email/resend',
      summary: 'Mail a new verification link',
      description: 'Always 202 with the same body: the answer does not reveal whether the email has an account.',
      tags: ['accounts'],
      permission: 'public',
      rateLimit: perIpAndEmail,
      audit: { optOut: 'changes nothing but a token; the same answer for every email (the mail is the record)' },
      schema: { body: resendVerificationRequestSchema, responses: { 202: acceptedResponseSchema } },
      handler: async ({ body, request, requestId, reply }) => {
        accounts.resendVerification({ email: body.email, meta: requestMeta(request, requestId) });
        reply.code(202);
        return { message: RESEND_ACCEPTED };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/auth/sign-in',
      summary: 'Sign in with email and password',
      description:
        'Starts a session (tokens in the body for API clients, httpOnly cookies for browsers), or answers `mfaRequired: true` with a challenge token when a second factor is needed. Wrong email and wrong password give the same `invalid-credentials` problem.',
      tags: ['accounts'],
      permission: 'public',
      rateLimit: perIpAndEmail,
      audit: { action: 'account.signed_in', sensitive: true },
      schema: { body: signInRequestSchema, responses: { 200: signInResponseSchema } },
      handler: async ({ body, request, requestId, reply, audit }): Promise<SignInResponse> => {
        const result = await accounts.signIn({
          email: body.email,
          password: body.password,
          meta: requestMeta(request, requestId),
          audit,
        });
        if (result.kind === 'second-factor') {
          return {
            mfaRequired: true,
            challengeToken: result.challengeToken,
            expiresAt: result.expiresAt.toISOString(),
            enrolmentRequired: result.enrolmentRequired,
          };
        }
        setSessionCookies(reply, result.tokens);
        return withoutTokensForBrowsers(request, {
          mfaRequired: false as const,
          sessionId: result.tokens.sessionId,
          accessToken: result.tokens.accessToken,
          accessTokenExpiresAt: result.tokens.accessTokenExpiresAt.toISOString(),
          refreshToken: result.tokens.refreshToken,
          refreshTokenExpiresAt: result.tokens.refreshTokenExpiresAt.toISOString(),
          user: result.user,
        });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/auth/password-reset/request',
      summary: 'Mail a password reset link',
      description: 'Always 202 with the same body: the answer does not reveal whether the email has an account.',
      tags: ['accounts'],
      permission: 'public',
      rateLimit: perIpAndEmail,
      audit: {
        optOut:
          'account.password_reset_requested is appended in the background only for an existing account, so the answer cannot differ',
      },
      schema: { body: passwordResetRequestSchema, responses: { 202: acceptedResponseSchema } },
      handler: async ({ body, request, requestId, reply }) => {
        accounts.requestPasswordReset({ email: body.email, meta: requestMeta(request, requestId) });
        reply.code(202);
        return { message: RESET_ACCEPTED };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/auth/password-reset/complete',
      summary: 'Set a new password with the emailed reset token',
      description: 'Ends every session of the account; sign in again with the new password.',
      tags: ['accounts'],
      permission: 'public',
      rateLimit: perIp,
      audit: { action: 'account.password_reset' },
      schema: { body: passwordResetCompleteSchema, responses: { 200: passwordResetCompletedResponseSchema } },
      handler: async ({ body, request, requestId, platform, audit }) => {
        await accounts.completePasswordReset({
          token: body.token,
          newPassword: body.newPassword,
          meta: requestMeta(request, requestId),
          unit: { run: platform, audit },
        });
        return {
          message: 'Your password was changed and every session was signed out. Sign in with the new password.',
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/me/password',
      summary: 'Change your password',
      description:
        'Needs the current password (and, with MFA, a recent second factor). Ends every other session and refuses every access token issued before the change, including the one used here: refresh once afterwards.',
      tags: ['accounts'],
      permission: 'self',
      audit: { action: 'account.password_changed', sensitive: true },
      schema: { body: changePasswordRequestSchema, responses: { 200: changePasswordResponseSchema } },
      handler: async ({ body, caller, request, requestId, platform, audit }) => {
        await accounts.changePassword({
          caller: requireSignedIn(caller),
          currentPassword: body.currentPassword,
          newPassword: body.newPassword,
          meta: requestMeta(request, requestId),
          unit: { run: platform, audit },
        });
        return {
          message: 'Your password was changed and your other sessions were signed out.',
          refreshRequired: true as const,
        };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/me',
      summary: 'Delete your account',
      description:
        'Needs your password, the typed confirmation and, with MFA, a recent second factor (step-up). Removes your credentials, sessions, MFA, memberships and mail in one transaction; audit events keep only your (now unlinkable) user id. The last admin of an organisation gets 409 until they hand over or delete it.',
      tags: ['accounts'],
      permission: 'self',
      audit: { action: 'account.deleted', sensitive: true },
      schema: { body: deleteAccountRequestSchema, responses: { 200: deleteAccountResponseSchema } },
      handler: async ({ body, caller, request, reply, requestId, platform, audit }) => {
        await accounts.deleteAccount({
          caller: requireSignedIn(caller),
          password: body.password,
          meta: requestMeta(request, requestId),
          unit: { run: platform, audit },
        });
        clearSessionCookies?.(reply);
        return { deleted: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/me',
      summary: 'Your profile and organisations',
      tags: ['accounts'],
      permission: 'self',
      audit: { optOut: 'reading your own profile' },
      schema: { responses: { 200: meResponseSchema } },
      handler: async ({ caller, requestId }) => {
        const { userId, membership } = requireSignedIn(caller);
        return accounts.readProfile({ userId, requestId, activeOrgId: membership?.orgId ?? null });
      },
    }),
  ];
}
