/**
 * Brute-force policy for one user's second factor (TOTP codes and recovery codes alike): the first
 * MFA_FREE_ATTEMPTS wrong codes in a row cost nothing; from then on every wrong code locks the
 * factor for 30 s × 2^(failures − 5), capped at an hour. A six-digit code accepted over a ±1-step
 * window gives a guess a 3-in-a-million chance, so even a patient attacker gets a handful of
 * guesses a day once the lock has grown. A success resets the count.
 */
export const MFA_FREE_ATTEMPTS = 5;
const FIRST_LOCK_SECONDS = 30;
const MAX_LOCK_SECONDS = 60 * 60;

/** How long the factor locks after the `failedAttempts`-th wrong code in a row (0 = not at all). */
export function lockoutSeconds(failedAttempts: number): number {
  if (failedAttempts < MFA_FREE_ATTEMPTS) return 0;
  const doublings = Math.min(failedAttempts - MFA_FREE_ATTEMPTS, 20);
  return Math.min(FIRST_LOCK_SECONDS * 2 ** doublings, MAX_LOCK_SECONDS);
}

/** Whole seconds until `lockedUntil`, at least 1 (the `Retry-After` value). */
export function secondsUntil(lockedUntil: Date, now: Date): number {
  return Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
}
