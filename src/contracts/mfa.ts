import { z } from 'zod';

/** A TOTP code as typed: six digits; spaces (authenticator apps show `123 456`) are ignored. */
export const totpCodeSchema = z
  .string()
  .max(20)
  .transform((value) => value.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'Enter the six digits your authenticator app shows.'));

/** A recovery code as typed (`xxxx-xxxx-xxxx`); the server ignores case, spaces and dashes. */
export const recoveryCodeSchema = z.string().trim().min(1).max(40);

/** The sign-in challenge returned with `mfaRequired: true`: 256 random bits, base64url. */
export const mfaChallengeTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Not a sign-in challenge token.');

const exactlyOneFactor = (value: { code?: string | undefined; recoveryCode?: string | undefined }) =>
  (value.code === undefined) !== (value.recoveryCode === undefined);
const exactlyOneFactorMessage = {
  message: 'Send either `code` (from the authenticator app) or `recoveryCode`, not both.',
  path: ['code'],
};

/** `POST /api/auth/mfa/verify`: completes a sign-in with a code or a recovery code. */
export const mfaVerifyRequestSchema = z
  .object({
    challengeToken: mfaChallengeTokenSchema,
    code: totpCodeSchema.optional(),
    recoveryCode: recoveryCodeSchema.optional(),
  })
  .refine(exactlyOneFactor, exactlyOneFactorMessage);

/** `POST /api/auth/step-up`: proves the second factor again for sensitive actions. */
export const stepUpRequestSchema = z
  .object({ code: totpCodeSchema.optional(), recoveryCode: recoveryCodeSchema.optional() })
  .refine(exactlyOneFactor, exactlyOneFactorMessage);

/** `POST /api/me/mfa/totp/confirm`: the first code from the newly scanned authenticator. */
export const confirmTotpRequestSchema = z.object({ code: totpCodeSchema });

/** `POST /api/auth/mfa/enrol`: a platform admin without MFA starts enrolment with the sign-in challenge. */
export const challengeEnrolRequestSchema = z.object({ challengeToken: mfaChallengeTokenSchema });

/** `POST /api/auth/mfa/enrol/confirm`. */
export const challengeEnrolConfirmRequestSchema = z.object({
  challengeToken: mfaChallengeTokenSchema,
  code: totpCodeSchema,
});

/**
 * A pending enrolment: what the authenticator app needs. `qrDataUrl` is an SVG QR code as a
 * `data:image/svg+xml;base64,...` URL for an `<img src>`: the CSP allows `img-src data:` but no
 * inline markup. `secretBase32` is for typing into an app that cannot scan.
 */
export const totpEnrolmentSchema = z.object({
  otpauthUri: z.string(),
  qrDataUrl: z.string(),
  secretBase32: z.string(),
  issuer: z.string(),
  accountName: z.string(),
});
export type TotpEnrolment = z.infer<typeof totpEnrolmentSchema>;

/** Tokens of a started or re-issued session (web clients also get them as httpOnly cookies). */
export const mfaSessionTokensSchema = z.object({
  accessToken: z.string().optional().describe('API clients only; browsers get it as an httpOnly cookie'),
  accessTokenExpiresAt: z.string(),
  refreshToken: z.string().optional().describe('API clients only; browsers get it as an httpOnly cookie'),
  refreshTokenExpiresAt: z.string(),
});
export type MfaSessionTokens = z.infer<typeof mfaSessionTokensSchema>;

/**
 * The recovery codes, shown this once: only hashes are stored, so no route can return them again.
 * `session` is the caller's session re-issued with `otp` (null for a caller without a session).
 */
export const totpConfirmedSchema = z.object({
  recoveryCodes: z.array(z.string()),
  session: mfaSessionTokensSchema.nullable(),
});
export type TotpConfirmed = z.infer<typeof totpConfirmedSchema>;

export const recoveryCodesSchema = z.object({ recoveryCodes: z.array(z.string()) });

/** `GET /api/me/mfa`: the account security page's MFA section. */
export const mfaStatusSchema = z.object({
  totp: z.enum(['off', 'pending', 'on']),
  confirmedAt: z.string().nullable(),
  recoveryCodesRemaining: z.number().int(),
  /** MFA cannot be turned off (platform administrators). */
  required: z.boolean(),
});
export type MfaStatus = z.infer<typeof mfaStatusSchema>;
