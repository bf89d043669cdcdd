import { AppError } from '../../../platform/errors/app-error.ts';

/** How long a code entered at sign-in or step-up unlocks sensitive actions. */
export const STEP_UP_MAX_AGE_MS = 10 * 60 * 1000;

/** Allowed skew between the server that issued the token and the one checking it. */
const FUTURE_SKEW_MS = 60 * 1000;

/**
 * The step-up evidence of a verified access token: its `amr` claim and its `otp_at` claim (when the
 * session last passed a second factor; null if it never did). `Caller` carries no otp time:
 * whoever verifies the token passes them (e.g. `{ amr: caller.amr, otpAt: caller.otpAt }` once
 * Caller gains `otpAt`).
 */
export type StepUpClaims = { amr: readonly string[]; otpAt: Date | null };

/**
 * Demands a fresh second factor for a sensitive action (disable MFA, change email or password,
 * create API credentials, delete account or organisation, platform actions): `otp` in `amr` AND a
 * code entered within the last 10 minutes. Otherwise throws `step-up-required` (403), which the
 * web app turns into a code prompt (POST /api/auth/step-up, then retry).
 *
 * Only meaningful for users with MFA on: check `secondFactor.required(userId)` first, and use
 * password re-entry for users without it.
 */
export function requireStepUp(options: { claims: StepUpClaims; now: Date }): void {
  const { amr, otpAt } = options.claims;
  const age = otpAt ? options.now.getTime() - otpAt.getTime() : Number.POSITIVE_INFINITY;
  if (!amr.includes('otp') || age > STEP_UP_MAX_AGE_MS || age < -FUTURE_SKEW_MS) {
    throw new AppError(
      'step-up-required',
      'Enter a code from your authenticator app (or a recovery code) to confirm this action.',
    );
  }
}
