import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeSelfSignedCertificate } from '../../platform/http/self-signed-certificate.ts';
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
/** Listens on a free loopback port; returns the webhook URL for it. */
async function listening(server: Server, scheme: 'http' | 'https' = 'http'): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
}
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

  it('sends again, once, on a fresh connection when a pooled one was closed by the receiver', async () => {
    // A receiver that keeps connections alive but resets one as the next request arrives on it —
    // what a receiver whose keep-alive timeout runs out at that moment does.
    const requestsOn = new Map<Socket, number>();
    let connections = 0;
    let answered = 0;
    const server = createTcpServer((socket) => {
      connections += 1;
      socket.on('data', (chunk: Buffer) => {
        if (!chunk.includes('\r\n\r\n{}')) return; // the whole request (head and 2-byte body)
        const count = (requestsOn.get(socket) ?? 0) + 1;
        requestsOn.set(socket, count);
        if (count === 2 && connections === 1) {
          socket.resetAndDestroy();
          return;
        }
        answered += 1;
        socket.write('HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n');
      });
    });
    const url = await listening(server);
    const transport = createWebhookTransport({ policy, timeoutMs: 5_000, idleSweepMs: 3_600_000 });
    try {
      const first = await transport.send({ url, headers: {}, body: '{}' });
      await pooled();
      const second = await transport.send({ url, headers: {}, body: '{}' });
      expect(first).toMatchObject({ kind: 'response', statusCode: 204 });
      expect(second).toMatchObject({ kind: 'response', statusCode: 204 });
      expect(connections).toBe(2);
      expect(answered).toBe(2);
    } finally {
      transport.close();
      server.close();
    }
  });

  it('does not send again when a fresh connection fails', async () => {
    let connections = 0;
    const server = createTcpServer((socket) => {
      connections += 1;
      socket.on('data', () => socket.resetAndDestroy());
    });
    const url = await listening(server);
    const transport = createWebhookTransport({ policy, timeoutMs: 5_000, idleSweepMs: 3_600_000 });
    try {
      expect(await transport.send({ url, headers: {}, body: '{}' })).toMatchObject({
        kind: 'error',
        errorClass: 'connect',
      });
      expect(connections).toBe(1);
    } finally {
      transport.close();
      server.close();
    }
  });
});

describe('failed attempts, by error class', () => {
  it('dns: the name does not resolve', async () => {
    const transport = createWebhookTransport({
      policy: {
        ...policy,
        resolveHost: async () => {
          throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
        },
      },
      timeoutMs: 5_000,
    });
    try {
      expect(await transport.send({ url: 'http://receiver.invalid/hooks', headers: {}, body: '{}' })).toMatchObject({
        kind: 'error',
        errorClass: 'dns',
      });
    } finally {
      transport.close();
    }
  });

  it('tls: the receiver’s certificate is not trusted', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'vigil-webhook-tls-'));
    const { certFile, keyFile } = writeSelfSignedCertificate({ directory });
    const server = createHttpsServer(
      { cert: readFileSync(certFile), key: readFileSync(keyFile) },
      (_request, response) => response.writeHead(204).end(),
    );
    const url = await listening(server, 'https');
    const transport = createWebhookTransport({ policy, timeoutMs: 5_000 });
    try {
      expect(await transport.send({ url, headers: {}, body: '{}' })).toMatchObject({
        kind: 'error',
        errorClass: 'tls',
      });
    } finally {
      transport.close();
      server.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('timeout: no complete response within the deadline (the clock is advanced, not waited for)', async () => {
    const receiver = await startWebhookReceiver(() => {
      // Never answers.
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const transport = createWebhookTransport({ policy, timeoutMs: 15_000 });
    try {
      let settled = false;
      const pending = transport.send({ url: receiver.url, headers: {}, body: '{}' }).finally(() => {
        settled = true;
      });
      // (vi.waitFor would advance the fake clock itself.)
      while (receiver.received.length === 0) await new Promise((resolve) => setImmediate(resolve));
      vi.advanceTimersByTime(14_999);
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      vi.advanceTimersByTime(1);
      expect(await pending).toMatchObject({ kind: 'error', errorClass: 'timeout' });
    } finally {
      vi.useRealTimers();
      transport.close();
      await receiver.close();
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
