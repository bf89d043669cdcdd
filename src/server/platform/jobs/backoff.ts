/**
 * Retry delays for failed jobs: exponential backoff with full jitter. The ceiling doubles per
 * attempt from BASE_DELAY_MS up to MAX_DELAY_MS, and the actual delay is uniform below it, so
 * many jobs failing together (a provider outage) spread their retries out instead of
 * stampeding back at the same instant.
 */

export const BASE_DELAY_MS = 5_000;
export const MAX_DELAY_MS = 60 * 60 * 1_000;
/** Full jitter can draw ~0; a floor keeps a failing job from retrying in a hot loop. */
export const MIN_DELAY_MS = 1_000;

/** The upper bound of the delay after `attempt` failed attempts (1-based). */
export function retryCeilingMs(attempt: number): number {
  const safeAttempt = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  // 2 ** 1024 is Infinity, which Math.min turns back into the cap, so no overflow guard needed.
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (safeAttempt - 1));
}

/**
 * Milliseconds to wait before retrying after `attempt` failed attempts. Deterministic when
 * `random` is injected; out-of-range draws are clamped so a bad source cannot escape the bounds.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = retryCeilingMs(attempt);
  const draw = random();
  const fraction = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0;
  return Math.max(MIN_DELAY_MS, Math.floor(fraction * ceiling));
}
