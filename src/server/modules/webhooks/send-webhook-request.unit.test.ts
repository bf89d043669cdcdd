import { afterEach, describe, expect, it } from 'vitest';
import {
  createWebhookTransport,
  RESPONSE_EXCERPT_BYTES,
  sanitiseBody,
  sanitiseHeaders,
} from './send-webhook-request.ts';
import { startWebhookReceiver, type WebhookReceiver } from './test-doubles/webhook-receiver.ts';
import { parseCidrAllowlist } from './webhook-address-policy.ts';

const policy = {
  allowHttp: true,
  allowlist: parseCidrAllowlist(['127.0.0.1/32']),
  resolveHost: async () => [{ address: '127.0.0.1', family: 4 as const }],
};
/** The agent hands a socket back to its pool a tick after the response ends. */
const pooled = () => new Promise((resolve) => setImmediate(resolve));

describe('webhook transport', () => {
  let receiver: WebhookReceiver | null = null;
  afterEach(async () => {
    await receiver?.close();
    receiver = null;
  });

  it('closes a pooled socket only once a whole sweep period passed without it being used', async () => {
    receiver = await startWebhookReceiver(undefined, { keepAliveTimeoutMs: 60_000 });
    // The sweep's own timer never fires during the test: the test runs the sweeps itself.
    const transport = createWebhookTransport({ policy, timeoutMs: 5_000, idleSweepMs: 3_600_000 });
    const send = () => transport.send({ url: receiver?.url as string, headers: {}, body: '{}' });
    try {
      expect((await send()).kind).toBe('response');
      await pooled();
      expect(transport.closeIdleSockets()).toBe(0); // first sight of the socket
      expect((await send()).kind).toBe('response');
      await pooled();
      expect(receiver.connections()).toBe(1); // kept alive and reused
      expect(transport.closeIdleSockets()).toBe(0); // used since the last sweep
      expect(transport.closeIdleSockets()).toBe(1); // unused for a whole period: closed
      expect((await send()).kind).toBe('response');
      expect(receiver.connections()).toBe(2); // a new connection replaced it
    } finally {
      transport.close();
    }
  });
});

describe('logged responses', () => {
  it('keeps at most 50 headers, redacts credentials and strips control characters', () => {
    const headers: Record<string, string> = {
      'set-cookie': 'session=secret',
      'www-authenticate': 'Bearer realm="x"',
      'x-note': 'line\u0000one\u001b[31m',
      'x-long': 'a'.repeat(600),
    };
    for (let index = 0; index < 60; index += 1) headers[`x-extra-${index}`] = String(index);
    const logged = sanitiseHeaders(headers);
    expect(Object.keys(logged)).toHaveLength(50);
    expect(logged['set-cookie']).toBe('[redacted]');
    expect(logged['www-authenticate']).toBe('[redacted]');
    expect(logged['x-note']).toBe('lineone[31m');
    expect(logged['x-long']).toHaveLength(500);
    expect(logged['x-extra-45']).toBe('45');
    expect(logged['x-extra-46']).toBeUndefined();
  });

  it('joins repeated headers and leaves clean values as they are', () => {
    expect(sanitiseHeaders({ 'x-a': ['one', 'two'], 'x-b': 'plain value', 'x-c': undefined })).toEqual({
      'x-a': 'one, two',
      'x-b': 'plain value',
    });
  });

  it('keeps at most 4 KB of the body, never splitting a character, without control characters', () => {
    expect(sanitiseBody(Buffer.from('ok\u0007\n\tdone'))).toBe('ok\n\tdone');
    const long = sanitiseBody(Buffer.from('é'.repeat(RESPONSE_EXCERPT_BYTES)));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(RESPONSE_EXCERPT_BYTES);
    expect(long).toBe('é'.repeat(RESPONSE_EXCERPT_BYTES / 2));
    expect(sanitiseBody(Buffer.alloc(0))).toBe('');
  });
});
