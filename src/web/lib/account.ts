import { z } from 'zod';
import {
  acceptedResponseSchema,
  type ChangePasswordRequest,
  changePasswordResponseSchema,
  passwordResetCompletedResponseSchema,
  type SignUpRequest,
  signInResponseSchema,
  verifyEmailResponseSchema,
} from '../../contracts/identity.ts';
import {
  mfaSessionTokensSchema,
  mfaStatusSchema,
  recoveryCodesSchema,
  totpConfirmedSchema,
  totpEnrolmentSchema,
} from '../../contracts/mfa.ts';
import { accessTokenSchema, revokedSessionsSchema } from '../../contracts/sessions.ts';
import {
  apiCall,
  forgetAccessExpiry,
  refreshSession,
  rememberAccessExpiry,
  rememberActiveOrganisation,
  rememberNewSession,
} from './session.ts';

/**
 * The identity API as the web app uses it. Responses that start or re-issue a session also carry
 * the tokens in their body (for API clients); the web app reads only the expiry times from them
 * and relies on the httpOnly cookies the same response set.
 */

const verifiedSessionSchema = mfaSessionTokensSchema.extend({ recoveryCodesRemaining: z.number().int().nullable() });

/** A second factor: an authenticator code, or one of the recovery codes. */
export type SecondFactor = { code: string } | { recoveryCode: string };

export type SignInOutcome =
  | { kind: 'signed-in' }
  | { kind: 'second-factor'; challengeToken: string; expiresAt: string; enrolmentRequired: boolean };

export async function signUp(request: SignUpRequest): Promise<string> {
  const body = await apiCall('/api/auth/sign-up', {
    method: 'POST',
    body: request,
    parse: acceptedResponseSchema.parse,
    authenticated: false,
  });
  return body.message;
}

export async function resendVerification(email: string): Promise<string> {
  const body = await apiCall('/api/auth/verify-email/resend', {
    method: 'POST',
    body: { email },
    parse: acceptedResponseSchema.parse,
    authenticated: false,
  });
  return body.message;
}

export async function verifyEmail(token: string): Promise<true> {
  await apiCall('/api/auth/verify-email', {
    method: 'POST',
    body: { token },
    parse: verifyEmailResponseSchema.parse,
    authenticated: false,
  });
  return true;
}

export async function signIn(email: string, password: string): Promise<SignInOutcome> {
  const body = await apiCall('/api/auth/sign-in', {
    method: 'POST',
    body: { email, password },
    parse: signInResponseSchema.parse,
    authenticated: false,
  });
  if (body.mfaRequired) {
    return {
      kind: 'second-factor',
      challengeToken: body.challengeToken,
      expiresAt: body.expiresAt,
      enrolmentRequired: body.enrolmentRequired,
    };
  }
  rememberNewSession(body.accessTokenExpiresAt);
  return { kind: 'signed-in' };
}

/** Completes a sign-in with a second factor. Returns the recovery codes left when one was spent. */
export async function verifySignInFactor(challengeToken: string, factor: SecondFactor): Promise<number | null> {
  const body = await apiCall('/api/auth/mfa/verify', {
    method: 'POST',
    body: { challengeToken, ...factor },
    parse: verifiedSessionSchema.parse,
    authenticated: false,
  });
  rememberNewSession(body.accessTokenExpiresAt);
  return body.recoveryCodesRemaining;
}

/** A platform administrator without MFA: start the enrolment the sign-in requires. */
export function startChallengeEnrolment(challengeToken: string) {
  return apiCall('/api/auth/mfa/enrol', {
    method: 'POST',
    body: { challengeToken },
    parse: totpEnrolmentSchema.parse,
    authenticated: false,
  });
}

/** Confirms the required enrolment; the session starts. Returns the recovery codes (shown once). */
export async function confirmChallengeEnrolment(challengeToken: string, code: string): Promise<string[]> {
  const body = await apiCall('/api/auth/mfa/enrol/confirm', {
    method: 'POST',
    body: { challengeToken, code },
    parse: totpConfirmedSchema.parse,
    authenticated: false,
  });
  if (body.session) rememberNewSession(body.session.accessTokenExpiresAt);
  return body.recoveryCodes;
}

export async function requestPasswordReset(email: string): Promise<string> {
  const body = await apiCall('/api/auth/password-reset/request', {
    method: 'POST',
    body: { email },
    parse: acceptedResponseSchema.parse,
    authenticated: false,
  });
  return body.message;
}

export async function completePasswordReset(token: string, newPassword: string): Promise<string> {
  const body = await apiCall('/api/auth/password-reset/complete', {
    method: 'POST',
    body: { token, newPassword },
    parse: passwordResetCompletedResponseSchema.parse,
    authenticated: false,
  });
  forgetAccessExpiry();
  return body.message;
}

/**
 * Changes the password. Every access token issued before the change is refused afterwards, this
 * session's included, so the session is refreshed straight away (the server asks for it).
 */
export async function changePassword(request: ChangePasswordRequest): Promise<string> {
  const body = await apiCall('/api/me/password', {
    method: 'POST',
    body: request,
    parse: changePasswordResponseSchema.parse,
  });
  if (body.refreshRequired) await refreshSession();
  return body.message;
}

export async function signOut(): Promise<void> {
  try {
    await apiCall('/api/auth/sign-out', {
      method: 'POST',
      parse: (body) => z.object({ sessionsEnded: z.number() }).parse(body),
      authenticated: false,
    });
  } finally {
    forgetAccessExpiry();
  }
}

export async function stepUp(factor: SecondFactor): Promise<number | null> {
  const body = await apiCall('/api/auth/step-up', {
    method: 'POST',
    body: factor,
    parse: verifiedSessionSchema.parse,
  });
  rememberAccessExpiry(body.accessTokenExpiresAt);
  return body.recoveryCodesRemaining;
}

export function startTotpEnrolment() {
  return apiCall('/api/me/mfa/totp', { method: 'POST', parse: totpEnrolmentSchema.parse });
}

/** Turns MFA on; this session is re-issued with `otp` and every other session ends. */
export async function confirmTotpEnrolment(code: string): Promise<string[]> {
  const body = await apiCall('/api/me/mfa/totp/confirm', {
    method: 'POST',
    body: { code },
    parse: totpConfirmedSchema.parse,
  });
  if (body.session) rememberAccessExpiry(body.session.accessTokenExpiresAt);
  return body.recoveryCodes;
}

export function disableTotp() {
  return apiCall('/api/me/mfa/totp', { method: 'DELETE', parse: mfaStatusSchema.parse });
}

export async function regenerateRecoveryCodes(): Promise<string[]> {
  const body = await apiCall('/api/me/mfa/recovery-codes', { method: 'POST', parse: recoveryCodesSchema.parse });
  return body.recoveryCodes;
}

export async function revokeSession(sessionId: string): Promise<void> {
  await apiCall(`/api/me/sessions/${encodeURIComponent(sessionId)}`, {
    method: 'DELETE',
    parse: revokedSessionsSchema.parse,
  });
}

export async function revokeOtherSessions(): Promise<number> {
  const body = await apiCall('/api/me/sessions/revoke-others', {
    method: 'POST',
    parse: revokedSessionsSchema.parse,
  });
  return body.revoked;
}

/** Re-issues the session's access token for another organisation the user belongs to. */
export async function switchOrganisation(orgId: string) {
  const body = await apiCall('/api/me/session/organisation', {
    method: 'PUT',
    body: { orgId },
    parse: accessTokenSchema.parse,
  });
  rememberAccessExpiry(body.accessTokenExpiresAt);
  rememberActiveOrganisation(body.orgId ?? orgId);
  return body;
}
