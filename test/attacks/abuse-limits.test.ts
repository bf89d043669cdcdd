// Threats: resource exhaustion by oversized headers and by one client holding many requests
// open at once; and error responses that reflect attacker-controlled input.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_CONCURRENT_REQUESTS_PER_IP } from '../../src/server/platform/http/create-http-server.ts';
import { defineRoute } from '../../src/server/platform/http/define-route.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';
import { startTestVigil, type TestVigil } from '../helpers/test-vigil.ts';

let server: TestVigil;
let port: number;
let releaseAll: () => void = () => {};
let blocked = new Promise<void>((resolve) => {
  releaseAll = resolve;
});

const slowRoute = defineRoute({
  method: 'GET',
  url: '/api/test-slow',
  summary: 'test only',
  tags: ['test'],
  permission: 'public',
  audit: { optOut: 'test route' },
  schema: { responses: { 200: z.object({}) } },
  handler: async () => {
    await blocked;
    return {};
  },
});

beforeAll(async () => {
  server = await startTestVigil({ extraRoutes: [slowRoute] });
  const address = await server.vigil.listen();
  port = Number(new URL(address).port);
});

afterAll(async () => {
  releaseAll();
  await server?.close();
});

function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(text));
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      response += chunk;
    });
    socket.on('end', () => resolve(response));
    socket.on('error', reject);
  });
}

describe(`abuse limits (${testDatabaseKind})`, () => {
  it('refuses request headers over 16 KiB with 431', async () => {
    const response = await rawRequest(
      `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(response.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 431/);
    const normal = await rawRequest('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(normal.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it(`lets one address hold at most ${MAX_CONCURRENT_REQUESTS_PER_IP} requests in flight`, async () => {
    const inFlight = Array.from({ length: MAX_CONCURRENT_REQUESTS_PER_IP }, () =>
      server.vigil.app.inject({ method: 'GET', url: '/api/test-slow', remoteAddress: '198.51.100.7' }),
    );
    // Let the hooks of every in-flight request run before the next one arrives.
    await new Promise((resolve) => setImmediate(resolve));
    const refused = await server.vigil.app.inject({
      method: 'GET',
      url: '/api/test-slow',
      remoteAddress: '198.51.100.7',
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    const otherAddress = server.vigil.app.inject({
      method: 'GET',
      url: '/api/test-slow',
      remoteAddress: '198.51.100.8',
    });
    releaseAll();
    expect((await Promise.all(inFlight)).every((response) => response.statusCode === 200)).toBe(true);
    expect((await otherAddress).statusCode).toBe(200);
    blocked = Promise.resolve();
    // Slots are given back when requests finish.
    expect(
      (await server.vigil.app.inject({ method: 'GET', url: '/api/test-slow', remoteAddress: '198.51.100.7' }))
        .statusCode,
    ).toBe(200);
  });

  it('never reflects input in error responses', async () => {
    const probe = '<script>alert(1)</script>';
    for (const request of [
      { method: 'GET' as const, url: `/api/${encodeURIComponent(probe)}` },
      { method: 'GET' as const, url: `/api/orgs/${encodeURIComponent(probe)}/deals` },
      {
        method: 'POST' as const,
        url: '/api/auth/sign-in',
        payload: `{"email": "${probe}"`,
        headers: { 'content-type': 'application/json' },
      },
      { method: 'POST' as const, url: '/api/auth/sign-in', payload: { email: probe, password: probe } },
    ]) {
      const response = await server.vigil.app.inject(request);
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.body).not.toContain('<script>');
    }
  });
});
