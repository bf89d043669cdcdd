// Threat: secrets leaking into logs, where far more people and systems can read them than the
// database. Canary values sent in every place a secret travels must never appear in a log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRoute } from '../../src/server/platform/http/define-route.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';
import { startTestVigil, type TestVigil } from '../helpers/test-vigil.ts';

const CANARY = {
  bearer: 'CANARY-BEARER-7f3a9c',
  cookie: 'CANARY-COOKIE-51b2e0',
  password: 'CANARY-PASSWORD-c0ffee',
  queryToken: 'CANARY-QUERYTOKEN-9d8e7f',
  loggedSecret: 'CANARY-LOGGED-SECRET-a1b2c3',
  apiKey: 'CANARY-APIKEY-deadbe',
};

// A careless handler that logs the objects it handles, as real code sometimes does.
const carelessRoute = defineRoute({
  method: 'POST',
  url: '/api/test-careless-logging',
  summary: 'test only',
  tags: ['test'],
  permission: 'public',
  audit: { optOut: 'test route' },
  schema: { body: z.object({ password: z.string(), apiKey: z.string() }), responses: { 200: z.object({}) } },
  handler: async ({ body, log }) => {
    log.info({ body, credentials: { secret: CANARY.loggedSecret }, password: body.password }, 'handling sign-in');
    log.warn({ headers: { authorization: `Bearer ${CANARY.bearer}` } }, 'rejected header');
    return {};
  },
});

let server: TestVigil;

beforeAll(async () => {
  server = await startTestVigil({ extraRoutes: [carelessRoute], environment: { LOG_LEVEL: 'trace' } });
});

afterAll(async () => {
  await server?.close();
});

describe(`log redaction (${testDatabaseKind})`, () => {
  it('never writes canary secrets from headers, cookies, bodies, query strings or handler logs', async () => {
    const requests = [
      { method: 'GET' as const, url: `/api/status?token=${CANARY.queryToken}&page=2` },
      { method: 'GET' as const, url: `/api/orgs/01929b6e-7c1a-7d3e-9a51-d3c0f0e4a001/deals?code=${CANARY.queryToken}` },
      {
        method: 'POST' as const,
        url: '/api/test-careless-logging',
        headers: { authorization: `Bearer ${CANARY.bearer}`, cookie: `vigil_session=${CANARY.cookie}` },
        payload: { password: CANARY.password, apiKey: CANARY.apiKey },
      },
      {
        method: 'POST' as const,
        url: '/api/test-careless-logging',
        payload: `{"password": "${CANARY.password}"`,
        headers: { 'content-type': 'application/json' },
      },
    ];
    for (const request of requests) await server.vigil.app.inject(request);
    await server.logs.settled();
    const logText = server.logs.text();
    expect(server.logs.lines.length).toBeGreaterThanOrEqual(6);
    expect(logText).toContain('handling sign-in');
    expect(logText).toContain('[redacted]');
    for (const [name, canary] of Object.entries(CANARY)) {
      expect(logText.includes(canary), `${name} canary leaked into logs`).toBe(false);
    }
  });

  it('keeps log lines parseable when inputs carry control characters', async () => {
    await server.vigil.app.inject({ method: 'GET', url: '/api/status?x=%0A%7B%22forged%22%3Atrue%7D' });
    for (const line of server.logs.lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(server.logs.lines.some((line) => line.startsWith('{"forged"'))).toBe(false);
  });
});
