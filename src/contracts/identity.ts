import { z } from 'zod';
import { organisationRoles } from './permissions.ts';

/**
 * Request and response shapes of the accounts API (sign-up, verification, sign-in, password
 * reset and change, profile), shared by the server and the web app.
 */

/** Password policy, for forms to check before submitting (the server checks again). */
export const PASSWORD_MIN_LENGTH = 12;
/** bcrypt reads only the first 72 bytes; longer passwords are refused, never silently cut. */
export const PASSWORD_MAX_BYTES = 72;

/** The UTF-8 byte length of a password as the server measures it (after NFC normalisation). */
export function passwordByteLength(password: string): number {
  return new TextEncoder().encode(password.normalize('NFC')).length;
}

export const emailSchema = z.string().trim().max(254).pipe(z.email());

/**
 * A password as submitted. Only an upper bound on characters here (a guard against huge inputs);
 * the policy (length, 72 bytes, strength) is checked by the server, which answers
 * `weak-password` or `password-too-long`.
 */
export const passwordInputSchema = z.string().min(1).max(1024);

const displayNameSchema = z.string().trim().min(1).max(200);

/** Answer of every request whose outcome must not reveal whether an email has an account. */
export const acceptedResponseSchema = z.object({ message: z.string() });
export type AcceptedResponse = z.infer<typeof acceptedResponseSchema>;

export const signUpRequestSchema = z.object({
  email: emailSchema,
  password: passwordInputSchema,
  displayName: displayNameSchema.optional(),
});
export type SignUpRequest = z.infer<typeof signUpRequestSchema>;

export const verifyEmailRequestSchema = z.object({ token: z.string().min(1).max(200) });
export type VerifyEmailRequest = z.infer<typeof verifyEmailRequestSchema>;

export const verifyEmailResponseSchema = z.object({ emailVerified: z.literal(true) });

export const resendVerificationRequestSchema = z.object({ email: emailSchema });
export type ResendVerificationRequest = z.infer<typeof resendVerificationRequestSchema>;

export const signInRequestSchema = z.object({ email: emailSchema, password: passwordInputSchema });
export type SignInRequest = z.infer<typeof signInRequestSchema>;

export const accountUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  emailVerified: z.boolean(),
  platformAdmin: z.boolean(),
});
export type AccountUser = z.infer<typeof accountUserSchema>;

/** Signed in: a session was started (and, for browsers, put into httpOnly cookies). */
export const signedInResponseSchema = z.object({
  mfaRequired: z.literal(false),
  sessionId: z.uuid(),
  accessToken: z.string().optional().describe('API clients only; browsers get it as an httpOnly cookie'),
  accessTokenExpiresAt: z.iso.datetime(),
  refreshToken: z.string().optional().describe('API clients only; browsers get it as an httpOnly cookie'),
  refreshTokenExpiresAt: z.iso.datetime(),
  user: accountUserSchema,
});
export type SignedInResponse = z.infer<typeof signedInResponseSchema>;

/**
 * The password was right but a second factor is required: no session yet. The client sends the
 * challenge token with a TOTP (or recovery) code to the MFA module. `enrolmentRequired` means the
 * account must enrol first (a platform administrator without MFA).
 */
export const mfaRequiredResponseSchema = z.object({
  mfaRequired: z.literal(true),
  challengeToken: z.string(),
  expiresAt: z.iso.datetime(),
  enrolmentRequired: z.boolean(),
});
export type MfaRequiredResponse = z.infer<typeof mfaRequiredResponseSchema>;

export const signInResponseSchema = z.discriminatedUnion('mfaRequired', [
  signedInResponseSchema,
  mfaRequiredResponseSchema,
]);
export type SignInResponse = z.infer<typeof signInResponseSchema>;

export const passwordResetRequestSchema = z.object({ email: emailSchema });
export type PasswordResetRequest = z.infer<typeof passwordResetRequestSchema>;

export const passwordResetCompleteSchema = z.object({
  token: z.string().min(1).max(200),
  newPassword: passwordInputSchema,
});
export type PasswordResetComplete = z.infer<typeof passwordResetCompleteSchema>;

export const passwordResetCompletedResponseSchema = z.object({ message: z.string() });

export const changePasswordRequestSchema = z.object({
  currentPassword: passwordInputSchema,
  newPassword: passwordInputSchema,
});
export type ChangePasswordRequest = z.infer<typeof changePasswordRequestSchema>;

/**
 * Every access token issued before the change is now refused, the caller's included: the client
 * refreshes once (its own session survives, every other session was ended).
 */
export const changePasswordResponseSchema = z.object({
  message: z.string(),
  refreshRequired: z.literal(true),
});

export const meResponseSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  emailVerified: z.boolean(),
  platformAdmin: z.boolean(),
  /** The organisation this session's access token is scoped to (org routes answer for it). */
  activeOrgId: z.uuid().nullable(),
  memberships: z.array(
    z.object({
      orgId: z.uuid(),
      orgName: z.string(),
      role: z.enum(organisationRoles),
    }),
  ),
});
export type MeResponse = z.infer<typeof meResponseSchema>;

/** Development outbox (development and test profiles only): mail not sent through SMTP. */
export const outboxMessageSchema = z.object({
  id: z.uuid(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
});
export type OutboxMessage = z.infer<typeof outboxMessageSchema>;

export const outboxResponseSchema = z.object({ items: z.array(outboxMessageSchema) });
export type OutboxResponse = z.infer<typeof outboxResponseSchema>;

/** DELETE /api/me: the password again (and, with MFA, a recent step-up) plus a typed confirmation. */
export const deleteAccountRequestSchema = z.object({
  password: passwordInputSchema,
  confirm: z.literal('DELETE MY ACCOUNT', { error: 'Type DELETE MY ACCOUNT to confirm.' }),
});
export type DeleteAccountRequest = z.infer<typeof deleteAccountRequestSchema>;
export const deleteAccountResponseSchema = z.object({ deleted: z.literal(true) });
