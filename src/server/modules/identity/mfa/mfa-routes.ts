import { withoutTokensForBrowsers } from '../sessions/token-delivery.ts';
import type { FastifyRequest } from 'fastify';
import {
  challengeEnrolConfirmRequestSchema,
  challengeEnrolRequestSchema,
  confirmTotpRequestSchema,
  type MfaSessionTokens,
  mfaSessionTokensSchema,
  mfaStatusSchema,
  mfaVerifyRequestSchema,
  recoveryCodesSchema,
  stepUpRequestSchema,
  totpConfirmedSchema,
  totpEnrolmentSchema,
} from '../../../../contracts/mfa.ts';
import type { Authenticator, Caller } from '../../../platform/authz/caller.ts';
import { requireSignedIn } from '../../../platform/authz/require-caller.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database, Transaction } from '../../../platform/db/database.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { type AnyRouteDefinition, defineRoute } from '../../../platform/http/define-route.ts';
import type {
  IssuedTokens,
  RecordSecondFactor,
  RevokeAllSessions,
  SetSessionCookies,
  StartSession,
} from '../identity-types.ts';
import { confirmTotpEnrolment } from './confirm-totp-enrolment.ts';
import { disableTotp } from './disable-totp.ts';
import { consumeMfaChallenge, findMfaChallenge } from './mfa-challenges.ts';
import type { MfaChallengeRow } from './mfa-tables.ts';
import { readMfaStatus } from './read-mfa-status.ts';
import { regenerateRecoveryCodes } from './regenerate-recovery-codes.ts';
import { startTotpEnrolment } from './start-totp-enrolment.ts';
import { type SecondFactorProof, secondFactorError, verifySecondFactor } from './verify-second-factor.ts';

export type MfaRouteDependencies = {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  startSession: StartSession;
  setSessionCookies: SetSessionCookies;
  recordSecondFactor: RecordSecondFactor;
  revokeAllSessions: RevokeAllSessions;
  /** The identity module's authenticator: the step-up route resolves its caller itself. */
  authenticate: Authenticator;
  /**
   * Throws AppError('step-up-required') unless the caller's session passed a second factor within
   * the last 10 minutes: `requireStepUp` over the token's `amr` + `otp_at`, or the sessions
   * module's session-row check (`requireRecentSecondFactor`).
   */
  demandStepUp: (caller: Caller) => void | Promise<void>;
  /** Shown in authenticator apps above the account name. */
  issuer?: string;
};

const TAGS = ['identity', 'mfa'];

const verifiedSessionSchema = mfaSessionTokensSchema.extend({
  recoveryCodesRemaining: mfaStatusSchema.shape.recoveryCodesRemaining
    .nullable()
    .describe('Unused recovery codes left when one was just spent (warn the user when low); null otherwise'),
});

function sessionTokensBody(tokens: IssuedTokens, request: FastifyRequest): MfaSessionTokens {
  return withoutTokensForBrowsers(request, {
    accessToken: tokens.accessToken,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
    refreshToken: tokens.refreshToken,
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
  });
}

function requestActor(request: FastifyRequest) {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

function proofFrom(body: { code?: string | undefined; recoveryCode?: string | undefined }): SecondFactorProof {
  return body.code !== undefined ? { code: body.code } : { recoveryCode: body.recoveryCode ?? '' };
}

/**
 * TOTP MFA: enrolment and recovery codes for a signed-in user (`/api/me/mfa...`), the second step
 * of sign-in (`/api/auth/mfa/...`, bearer of a single-use challenge), enrolment for a platform
 * admin who has none yet (challenge-bound), and step-up.
 */
export function mfaRoutes(deps: MfaRouteDependencies): AnyRouteDefinition[] {
  const { database, keyring, clock } = deps;
  const issuer = deps.issuer ?? 'Vigil';

  /** The live challenge a token names, or `mfa-challenge-invalid` (unknown, expired, used, other purpose). */
  async function liveChallenge(options: {
    challengeToken: string;
    purpose: MfaChallengeRow['purpose'];
    requestId: string;
    audit: { actor(userId: string): void; target(type: string, id: string): void };
  }): Promise<MfaChallengeRow> {
    const challenge = await withPlatformTransaction(
      database,
      { userId: null, requestId: options.requestId },
      (transaction) => findMfaChallenge(transaction, { challengeToken: options.challengeToken, now: clock.now() }),
    );
    if (!challenge) throw new AppError('mfa-challenge-invalid');
    options.audit.actor(challenge.userId);
    options.audit.target('user', challenge.userId);
    if (challenge.purpose !== options.purpose) {
      throw challenge.purpose === 'enrol'
        ? new AppError('mfa-enrolment-required', 'Set up an authenticator app first: this sign-in can only enrol one.')
        : new AppError('mfa-challenge-invalid', 'This sign-in step cannot enrol an authenticator.');
    }
    return challenge;
  }

  /** Consumes the challenge in the caller's transaction, or throws (rolling that transaction back) if lost. */
  function consumeOrRefuse(challenge: MfaChallengeRow) {
    return async (transaction: Transaction) => {
      if (!(await consumeMfaChallenge(transaction, { challengeId: challenge.id, now: clock.now() }))) {
        throw new AppError('mfa-challenge-invalid');
      }
    };
  }

  return [
    defineRoute({
      method: 'GET',
      url: '/api/me/mfa',
      summary: 'Read your MFA status',
      tags: TAGS,
      permission: 'self',
      audit: { optOut: 'reading your own MFA status; holds no secret' },
      schema: { responses: { 200: mfaStatusSchema } },
      handler: ({ caller, platform }) => readMfaStatus({ userId: requireSignedIn(caller).userId, run: platform }),
    }),

    defineRoute({
      method: 'POST',
      url: '/api/me/mfa/totp',
      summary: 'Start enrolling an authenticator app',
      description:
        'Creates a pending TOTP secret (replacing an earlier pending one) and returns its otpauth URI, a QR code as an SVG data URL and the base32 secret for manual entry. Nothing changes until `POST /api/me/mfa/totp/confirm`. Refused (409) while MFA is on.',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'mfa.enrolment_started' },
      schema: { responses: { 201: totpEnrolmentSchema } },
      handler: async ({ caller, platform, reply, audit }) => {
        const { userId } = requireSignedIn(caller);
        audit.target('user', userId);
        const enrolment = await startTotpEnrolment({ keyring, clock, userId, issuer, run: platform });
        reply.code(201);
        return enrolment;
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      summary: 'Confirm the authenticator app with its first code',
      description:
        'Turns MFA on, returns ten single-use recovery codes (shown only this once), ends your other sessions and re-issues this one with `otp`.',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'mfa.enrolled', sensitive: true },
      schema: { body: confirmTotpRequestSchema, responses: { 200: totpConfirmedSchema } },
      handler: async ({ caller, body, request, reply, platform, audit, requestId }) => {
        const { userId, sessionId } = requireSignedIn(caller);
        audit.target('user', userId);
        const { recoveryCodes } = await confirmTotpEnrolment({
          database,
          keyring,
          clock,
          userId,
          code: body.code,
          requestId,
          actor: requestActor(request),
          run: platform,
        });
        // An MFA change ends every other session: one opened by whoever had the password stays out.
        await deps.revokeAllSessions({ userId, exceptSessionId: sessionId, reason: 'mfa.enrolled' });
        const tokens = sessionId ? await deps.recordSecondFactor({ sessionId }) : null;
        if (tokens) deps.setSessionCookies(reply, tokens);
        return { recoveryCodes, session: tokens ? sessionTokensBody(tokens, request) : null };
      },
    }),

    defineRoute({
      method: 'DELETE',
      url: '/api/me/mfa/totp',
      summary: 'Turn MFA off',
      description:
        'Needs a step-up (a code entered within 10 minutes). Deletes the secret and the recovery codes and ends your other sessions. A platform administrator is signed out everywhere, this session included: their next sign-in must enrol again.',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'mfa.disabled', sensitive: true },
      schema: { responses: { 200: mfaStatusSchema } },
      handler: async ({ caller, platform, audit }) => {
        const signedInCaller = requireSignedIn(caller);
        const { userId, sessionId } = signedInCaller;
        audit.target('user', userId);
        await deps.demandStepUp(signedInCaller);
        await disableTotp({ userId, run: platform });
        await deps.revokeAllSessions({
          userId,
          exceptSessionId: signedInCaller.platformAdmin ? null : sessionId,
          reason: 'mfa.disabled',
        });
        return {
          totp: 'off' as const,
          confirmedAt: null,
          recoveryCodesRemaining: 0,
          required: signedInCaller.platformAdmin,
        };
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/me/mfa/recovery-codes',
      summary: 'Replace your recovery codes',
      description:
        'Needs a step-up (a code entered within 10 minutes). Every earlier code stops working; the ten new ones are shown only this once.',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'mfa.recovery_codes_regenerated', sensitive: true },
      schema: { responses: { 200: recoveryCodesSchema } },
      handler: async ({ caller, platform, audit }) => {
        const signedInCaller = requireSignedIn(caller);
        audit.target('user', signedInCaller.userId);
        await deps.demandStepUp(signedInCaller);
        return regenerateRecoveryCodes({ keyring, clock, userId: signedInCaller.userId, run: platform });
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/mfa/verify',
      summary: 'Complete a sign-in with an authenticator code or a recovery code',
      description:
        'Presents the `challengeToken` the password (or SSO) step returned with `mfaRequired: true`. The challenge is single use and expires after 5 minutes; wrong codes count towards a per-account lockout. Starts the session (amr `pwd`+`otp`) and sets its cookies.',
      tags: TAGS,
      permission: 'public',
      audit: { action: 'mfa.verified', sensitive: true },
      schema: { body: mfaVerifyRequestSchema, responses: { 200: verifiedSessionSchema } },
      handler: async ({ body, request, reply, audit, requestId }) => {
        const challenge = await liveChallenge({
          challengeToken: body.challengeToken,
          purpose: 'verify',
          requestId,
          audit,
        });
        const proof = proofFrom(body);
        audit.metadata({ method: 'code' in proof ? 'totp' : 'recovery_code' });
        const outcome = await verifySecondFactor({
          database,
          keyring,
          clock,
          userId: challenge.userId,
          proof,
          expect: 'confirmed',
          requestId,
          actor: requestActor(request),
          onAccepted: consumeOrRefuse(challenge),
        });
        if (!outcome.ok) {
          audit.metadata({ reason: outcome.reason });
          throw secondFactorError(outcome, 'confirmed');
        }
        const tokens = await deps.startSession({
          userId: challenge.userId,
          amr: [challenge.firstFactor, 'otp'],
          ...requestActor(request),
        });
        deps.setSessionCookies(reply, tokens);
        return { ...sessionTokensBody(tokens, request), recoveryCodesRemaining: outcome.recoveryCodesRemaining };
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/mfa/enrol',
      summary: 'Start the enrolment a sign-in requires (platform administrators without MFA)',
      description:
        'Only with a challenge returned as `enrolmentRequired: true`: MFA is mandatory for the account and it has none yet. A challenge for an account that has MFA cannot enrol another authenticator.',
      tags: TAGS,
      permission: 'public',
      audit: { action: 'mfa.enrolment_started', sensitive: true },
      schema: { body: challengeEnrolRequestSchema, responses: { 201: totpEnrolmentSchema } },
      handler: async ({ body, reply, platform, audit, requestId }) => {
        const challenge = await liveChallenge({
          challengeToken: body.challengeToken,
          purpose: 'enrol',
          requestId,
          audit,
        });
        const enrolment = await startTotpEnrolment({ keyring, clock, userId: challenge.userId, issuer, run: platform });
        reply.code(201);
        return enrolment;
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/mfa/enrol/confirm',
      summary: 'Confirm the required enrolment and finish signing in',
      description:
        'Turns MFA on with the first code, consumes the challenge, returns the ten recovery codes (shown only this once) and starts the session with amr `otp`.',
      tags: TAGS,
      permission: 'public',
      audit: { action: 'mfa.enrolled', sensitive: true },
      schema: { body: challengeEnrolConfirmRequestSchema, responses: { 200: totpConfirmedSchema } },
      handler: async ({ body, request, reply, platform, audit, requestId }) => {
        const challenge = await liveChallenge({
          challengeToken: body.challengeToken,
          purpose: 'enrol',
          requestId,
          audit,
        });
        const { userId } = challenge;
        const { recoveryCodes } = await confirmTotpEnrolment({
          database,
          keyring,
          clock,
          userId,
          code: body.code,
          requestId,
          actor: requestActor(request),
          run: platform,
          alsoInTransaction: consumeOrRefuse(challenge),
        });
        await deps.revokeAllSessions({ userId, exceptSessionId: null, reason: 'mfa.enrolled' });
        const tokens = await deps.startSession({
          userId,
          amr: [challenge.firstFactor, 'otp'],
          ...requestActor(request),
        });
        deps.setSessionCookies(reply, tokens);
        return { recoveryCodes, session: sessionTokensBody(tokens, request) };
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/api/auth/step-up',
      summary: 'Confirm a sensitive action with a code (step-up)',
      description:
        'For a signed-in caller: checks an authenticator code (or a recovery code) and re-issues the session with a fresh `otp_at`, which unlocks step-up-protected actions for 10 minutes. Wrong codes count towards the same lockout as sign-in.',
      tags: TAGS,
      permission: 'self',
      audit: { action: 'mfa.step_up', sensitive: true },
      rateLimit: { policy: 'auth' },
      schema: { body: stepUpRequestSchema, responses: { 200: verifiedSessionSchema } },
      handler: async ({ body, request, reply, audit, requestId, caller }) => {
        if (!caller) throw new AppError('unauthenticated', 'Sign in to confirm an action.');
        audit.actor(caller.userId);
        audit.target('user', caller.userId);
        if (!caller.sessionId) throw new AppError('forbidden', 'Step-up needs a signed-in session.');
        const proof = proofFrom(body);
        audit.metadata({ method: 'code' in proof ? 'totp' : 'recovery_code' });
        const outcome = await verifySecondFactor({
          database,
          keyring,
          clock,
          userId: caller.userId,
          proof,
          expect: 'confirmed',
          requestId,
          actor: requestActor(request),
        });
        if (!outcome.ok) {
          audit.metadata({ reason: outcome.reason });
          throw secondFactorError(outcome, 'confirmed');
        }
        const tokens = await deps.recordSecondFactor({ sessionId: caller.sessionId });
        deps.setSessionCookies(reply, tokens);
        return { ...sessionTokensBody(tokens, request), recoveryCodesRemaining: outcome.recoveryCodesRemaining };
      },
    }),
  ];
}
