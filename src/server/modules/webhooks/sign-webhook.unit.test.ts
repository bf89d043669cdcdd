// Signing per Standard Webhooks, checked against the specification's published test vector and
// the reference library; the retry schedule and Retry-After parsing at their edges.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  MAX_RETRY_AFTER_MS,
  nextWebhookRetryDelayMs,
  parseRetryAfterMs,
  WEBHOOK_RETRY_DELAYS_MS,
} from './retry-schedule.ts';
import { signWebhook } from './sign-webhook.ts';
import { generateWebhookSecret } from './webhook-secret.ts';

describe('signWebhook', () => {
  it('matches the reference implementation for the same id, timestamp and body', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const timestamp = 1614265330;
    const body = '{"test": 2432232314}';
    const ours = signWebhook({ secrets: [secret], id, timestamp, body });
    expect(ours).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(new Webhook(secret).sign(id, new Date(timestamp * 1000), body)).toBe(ours);
  });

  it('lists one signature per secret, space-separated', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    const signature = signWebhook({ secrets: [a, b], id: 'x', timestamp: 1, body: '{}' });
    expect(signature.split(' ')).toEqual([
      signWebhook({ secrets: [a], id: 'x', timestamp: 1, body: '{}' }),
      signWebhook({ secrets: [b], id: 'x', timestamp: 1, body: '{}' }),
    ]);
  });
});

describe('webhook retry schedule', () => {
  it('follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h within ±10 %, then stops', () => {
    expect(WEBHOOK_RETRY_DELAYS_MS).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    for (const [index, delay] of WEBHOOK_RETRY_DELAYS_MS.entries()) {
      expect(nextWebhookRetryDelayMs(index + 1, { random: () => 0 })).toBe(Math.round(delay * 0.9));
      expect(nextWebhookRetryDelayMs(index + 1, { random: () => 1 })).toBe(Math.round(delay * 1.1));
    }
    expect(nextWebhookRetryDelayMs(8)).toBeNull();
  });

  it('waits for Retry-After when it is longer than the schedule, capped at 10 h', () => {
    expect(nextWebhookRetryDelayMs(1, { retryAfterMs: 60_000, random: () => 0.5 })).toBe(60_000);
    expect(nextWebhookRetryDelayMs(3, { retryAfterMs: 60_000, random: () => 0.5 })).toBe(1_800_000);
    expect(nextWebhookRetryDelayMs(1, { retryAfterMs: 7 * 86_400_000 })).toBe(MAX_RETRY_AFTER_MS);
  });

  it('parses Retry-After as seconds or an HTTP date, ignoring garbage', () => {
    const now = new Date('2026-03-02T09:00:00Z');
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs('Mon, 02 Mar 2026 09:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfterMs('soon', now)).toBeNull();
    expect(parseRetryAfterMs(undefined, now)).toBeNull();
  });
});
