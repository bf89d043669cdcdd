/**
 * When scheduled attempt N+1 runs after attempt N failed (Standard Webhooks / Svix schedule):
 * attempt 1 immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — eight attempts over
 * about 28 hours. Each delay gets ±10 % jitter so endpoints that failed together (a receiver's
 * outage) do not all come back in the same second.
 */
export const WEBHOOK_RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
] as const;

export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_MS.length + 1;

/** A Retry-After longer than this is capped (a receiver cannot park a message for days). */
export const MAX_RETRY_AFTER_MS = 10 * 3_600_000;

/**
 * Milliseconds until the next scheduled attempt after `attempt` (1-based) failed, or null when it
 * was the last. `retryAfterMs` (from a 429/503) replaces the schedule's delay when longer.
 */
export function nextWebhookRetryDelayMs(
  attempt: number,
  options: { retryAfterMs?: number | null; random?: () => number } = {},
): number | null {
  const base = WEBHOOK_RETRY_DELAYS_MS[attempt - 1];
  if (base === undefined) return null;
  const draw = (options.random ?? Math.random)();
  const jitter = 1 + (Math.min(Math.max(Number.isFinite(draw) ? draw : 0.5, 0), 1) * 0.2 - 0.1);
  const scheduled = Math.round(base * jitter);
  const retryAfter = options.retryAfterMs ?? null;
  return retryAfter !== null && retryAfter > scheduled ? Math.min(retryAfter, MAX_RETRY_AFTER_MS) : scheduled;
}

/** Parses Retry-After (delay-seconds or an HTTP date) relative to `now`; null if absent or invalid. */
export function parseRetryAfterMs(value: string | undefined, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now.getTime());
}
