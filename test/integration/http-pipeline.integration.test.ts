// The request pipeline every route shares: request ids, security headers on every kind of
// response, problem documents for every client mistake, authorisation by role and organisation,
// and all-or-nothing writes.
import { sql } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newId } from '../../src/server/platform/db/ids.ts';
import { queryRows } from '../../src/server/platform/db/query-rows.ts';
import { deals, organisations } from '../../src/server/platform/db/schema.ts';
import { withPlatformTransaction, withTenantTransaction } from '../../src/server/platform/db/tenant-transaction.ts';
import { defineRoute } from '../../src/server/platform/http/define-route.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';
import { startTestVigil, type TestVigil, testCallerHeader } from '../helpers/test-vigil.ts';

let server: TestVigil;
const orgA = newId();
const orgB = newId();

const callerIn = (orgId: string, role: 'viewer' | 'builder' | 'org_admin') =>
  testCallerHeader({
    userId: newId(),
    sessionId: null,
    platformAdmin: false,
    amr: ['pwd'],
    membership: { orgId, role },
  });

// A test-only route that writes two rows and fails between them: nothing may remain.
const halfWayRoute = defineRoute({
  method: 'POST',
  url: '/api/orgs/:orgId/test-half-way',
  summary: 'test only',
  tags: ['test'],
  permission: 'integrations:manage',
  audit: { optOut: 'test route' },
  schema: {
    params: z.object({ orgId: z.uuid() }),
    body: z.object({ name: z.string().min(1).max(50), failAfterFirst: z.boolean() }),
    responses: { 200: z.object({ ok: z.boolean() }) },
  },
  handler: async ({ orgId, body, tenant }) =>
    tenant(async (transaction) => {
      await transaction
        .insert(deals)
        .values({ orgId: orgId as string, id: newId(), name: `${body.name} 1`, stage: 'x' });
      if (body.failAfterFirst) throw new Error('simulated failure half-way');
      await transaction
        .insert(deals)
        .values({ orgId: orgId as string, id: newId(), name: `${body.name} 2`, stage: 'x' });
      return { ok: true };
    }),
});

// A test-only route any signed-in caller may use, about themself.
const selfRoute = defineRoute({
  method: 'GET',
  url: '/api/me/test-self',
  summary: 'test only',
  tags: ['test'],
  permission: 'self',
  audit: { optOut: 'test route' },
  schema: { responses: { 200: z.object({ userId: z.string() }) } },
  handler: async ({ caller }) => ({ userId: caller?.userId ?? 'none' }),
});

beforeAll(async () => {
  server = await startTestVigil({ extraRoutes: [halfWayRoute, selfRoute] });
  const { database } = server.testDatabase;
  await withPlatformTransaction(database, { userId: null, requestId: 'seed' }, (transaction) =>
    transaction.insert(organisations).values([
      { id: orgA, slug: 'pipeline-a', name: 'A' },
      { id: orgB, slug: 'pipeline-b', name: 'B' },
    ]),
  );
  for (const [orgId, name] of [
    [orgA, 'CANARY-ORG-A'],
    [orgB, 'CANARY-ORG-B'],
  ] as const) {
    await withTenantTransaction(database, { orgId, userId: null, requestId: 'seed' }, (transaction) =>
      transaction
        .insert(deals)
        .values({ orgId, id: newId(), name, stage: 'discovery', amountMinor: 1000, currency: 'USD' }),
    );
  }
});

afterAll(async () => {
  await server?.close();
});

const inject = (options: InjectOptions) => server.vigil.app.inject(options);

/** Documents (the web app, static files, non-API errors): the web app's CSP and every document control. */
function expectDocumentSecurityHeaders(headers: Record<string, unknown>) {
  expect(headers['content-security-policy']).toMatch(/default-src 'self'/);
  expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(headers['permissions-policy']).toMatch(/camera=\(\)/);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(headers['x-request-id']).toBeTruthy();
}

/** API responses, errors included: a CSP under which nothing loads or runs, never cached. */
function expectApiSecurityHeaders(headers: Record<string, unknown>) {
  expect(headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['x-request-id']).toBeTruthy();
}

describe(`request pipeline (${testDatabaseKind})`, () => {
  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const kept = await inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'edge-1234abcd' } });
    expect(kept.headers['x-request-id']).toBe('edge-1234abcd');
    const replaced = await inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\n{"forged":1}' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await inject({ method: 'GET', url: '/healthz' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs every request once, with its request id, route, status and duration', async () => {
    await inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-log-5678' } });
    await inject({ method: 'GET', url: '/api/nothing', headers: { 'x-request-id': 'trace-log-9999' } });
    await server.logs.settled();
    const linesOf = (id: string) =>
      server.logs.lines.filter((line) => line.includes(id)).map((line) => JSON.parse(line));
    const [access] = linesOf('trace-log-5678');
    expect(linesOf('trace-log-5678')).toHaveLength(1);
    expect(access).toMatchObject({
      requestId: 'trace-log-5678',
      req: { method: 'GET', url: '/healthz', route: '/healthz' },
      res: { statusCode: 200 },
    });
    expect(typeof access.durationMs).toBe('number');
    expect(linesOf('trace-log-9999').at(-1)).toMatchObject({ requestId: 'trace-log-9999', res: { statusCode: 404 } });
  });

  it("logs a request's own lines (request.log) with its request id", async () => {
    await inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-half-way`,
      payload: 'not json',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'trace-log-4000' },
    });
    await server.logs.settled();
    const lines = server.logs.lines.filter((line) => line.includes('trace-log-4000')).map((line) => JSON.parse(line));
    expect(lines.find((line) => line.msg === 'client error')).toMatchObject({
      requestId: 'trace-log-4000',
      status: 415,
    });
  });

  it('sends the document headers on pages, static files and non-API errors, and the API headers on every API answer', async () => {
    const responses = await Promise.all([
      inject({ method: 'GET', url: '/api/status' }),
      inject({ method: 'GET', url: '/assets/app-abc123.js' }),
      inject({ method: 'GET', url: '/some/client/route' }),
      inject({ method: 'GET', url: '/api/does-not-exist' }),
      inject({ method: 'DELETE', url: '/healthz' }),
      inject({
        method: 'POST',
        url: `/api/orgs/${orgA}/test-half-way`,
        payload: '{bad json',
        headers: { 'content-type': 'application/json' },
      }),
      inject({ method: 'GET', url: `/api/orgs/${orgA}/deals` }),
    ]);
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 404, 405, 400, 401]);
    const [status, asset, page, missing, wrongMethod, badJson, unauthenticated] = responses.map(
      (response) => response.headers,
    );
    for (const headers of [status, missing, badJson, unauthenticated]) expectApiSecurityHeaders(headers ?? {});
    for (const headers of [asset, page, wrongMethod]) expectDocumentSecurityHeaders(headers ?? {});
  });

  it('sends HSTS only when the request came over TLS (here: via a declared TLS proxy)', async () => {
    const plain = await inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const proxied = await startTestVigil({ environment: { TRUST_PROXY: '127.0.0.1' } });
    try {
      const viaProxy = await proxied.vigil.app.inject({
        method: 'GET',
        url: '/api/nothing',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(viaProxy.headers['strict-transport-security']).toMatch(/max-age=\d{8}; includeSubDomains/);
      const spoofed = await proxied.vigil.app.inject({
        method: 'GET',
        url: '/healthz',
        remoteAddress: '203.0.113.9',
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(spoofed.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await proxied.close();
    }
  });

  it('marks API responses no-store and hashed assets immutable', async () => {
    expect((await inject({ method: 'GET', url: '/api/status' })).headers['cache-control']).toBe('no-store');
    expect((await inject({ method: 'GET', url: '/assets/app-abc123.js' })).headers['cache-control']).toMatch(
      /immutable/,
    );
  });

  it('answers unknown API routes with a 404 problem document and unknown methods with 405 + Allow', async () => {
    const missing = await inject({ method: 'GET', url: '/api/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ type: '/problems/not-found', status: 404, title: 'Not found' });
    expect(missing.json().instance).toContain(missing.headers['x-request-id']);
    const wrongMethod = await inject({ method: 'PUT', url: '/api/status' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toContain('GET');
    expect(wrongMethod.json().type).toBe('/problems/method-not-allowed');
    const missingAsset = await inject({ method: 'GET', url: '/assets/nope.js' });
    expect(missingAsset.statusCode).toBe(404);
  });

  it('turns malformed JSON, wrong content types, oversized and empty bodies into 4xx problems', async () => {
    const headers = callerIn(orgA, 'builder');
    const url = `/api/orgs/${orgA}/test-half-way`;
    const cases = [
      { payload: '{"name": "x",', contentType: 'application/json', status: 400, type: 'bad-request' },
      {
        payload: 'name=x',
        contentType: 'application/x-www-form-urlencoded',
        status: 415,
        type: 'unsupported-media-type',
      },
      { payload: 'plain', contentType: 'text/plain', status: 415, type: 'unsupported-media-type' },
      {
        payload: JSON.stringify({ name: 'x'.repeat(2_000_000), failAfterFirst: false }),
        contentType: 'application/json',
        status: 413,
        type: 'payload-too-large',
      },
      { payload: '', contentType: 'application/json', status: 400, type: 'bad-request' },
      {
        payload: '{"__proto__": {"polluted": true}}',
        contentType: 'application/json',
        status: 400,
        type: 'bad-request',
      },
    ];
    for (const testCase of cases) {
      const response = await inject({
        method: 'POST',
        url,
        payload: testCase.payload,
        headers: { ...headers, 'content-type': testCase.contentType },
      });
      expect({ status: response.statusCode, type: response.json().type }).toEqual({
        status: testCase.status,
        type: `/problems/${testCase.type}`,
      });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).not.toContain('at ');
    }
  });

  it('reports every invalid field at once as JSON pointers', async () => {
    const response = await inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-half-way`,
      headers: callerIn(orgA, 'builder'),
      payload: { name: '', failAfterFirst: 'yes', extra: 1 },
    });
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem.type).toBe('/problems/validation-failed');
    expect(problem.errors.map((error: { pointer: string }) => error.pointer).sort()).toEqual([
      '/body/failAfterFirst',
      '/body/name',
    ]);
    const badQuery = await inject({
      method: 'GET',
      url: `/api/orgs/${orgA}/deals?limit=999&cursor=nope`,
      headers: callerIn(orgA, 'viewer'),
    });
    expect(badQuery.statusCode).toBe(400);
    expect(
      badQuery
        .json()
        .errors.map((error: { pointer: string }) => error.pointer)
        .sort(),
    ).toEqual(['/query/cursor', '/query/limit']);
    const badPath = await inject({
      method: 'GET',
      url: '/api/orgs/not-a-uuid/deals',
      headers: callerIn(orgA, 'viewer'),
    });
    expect(badPath.statusCode).toBe(400);
    expect(badPath.json().errors[0].pointer).toBe('/params/orgId');
  });

  it('requires a caller (401), the same organisation (404) and a role with the permission (403)', async () => {
    const anonymous = await inject({ method: 'GET', url: `/api/orgs/${orgA}/deals` });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().type).toBe('/problems/unauthenticated');
    const badToken = await inject({
      method: 'GET',
      url: `/api/orgs/${orgA}/deals`,
      headers: { authorization: 'Bearer garbage' },
    });
    expect(badToken.statusCode).toBe(401);
    const otherOrganisation = await inject({
      method: 'GET',
      url: `/api/orgs/${orgB}/deals`,
      headers: callerIn(orgA, 'org_admin'),
    });
    expect(otherOrganisation.statusCode).toBe(404);
    expect(otherOrganisation.body).not.toContain('CANARY-ORG-B');
    const viewerWriting = await inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-half-way`,
      headers: callerIn(orgA, 'viewer'),
      payload: { name: 'viewer', failAfterFirst: false },
    });
    expect(viewerWriting.statusCode).toBe(403);
    expect(viewerWriting.json().type).toBe('/problems/forbidden');
  });

  it("lets any signed-in caller, and nobody else, use a 'self' route", async () => {
    expect((await inject({ method: 'GET', url: '/api/me/test-self' })).statusCode).toBe(401);
    const userId = newId();
    const response = await inject({
      method: 'GET',
      url: '/api/me/test-self',
      headers: testCallerHeader({ userId, sessionId: null, platformAdmin: false, amr: ['pwd'], membership: null }),
    });
    expect(response.json()).toEqual({ userId });
  });

  it("lists only the caller's organisation's deals, with cursor pagination", async () => {
    const response = await inject({
      method: 'GET',
      url: `/api/orgs/${orgA}/deals?limit=1`,
      headers: callerIn(orgA, 'viewer'),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.items.map((deal: { name: string }) => deal.name)).toEqual(['CANARY-ORG-A']);
    expect(response.body).not.toContain('CANARY-ORG-B');
    expect(body.nextCursor).toBeNull();
  });

  it('leaves no partial rows when a request fails half-way, and answers 500 without details', async () => {
    const countOf = async (name: string) => {
      const rows = await server.testDatabase.adminQuery<{ count: string }>(
        'SELECT count(*)::text AS count FROM deals WHERE name LIKE $1',
        [`${name}%`],
      );
      return Number(rows[0]?.count);
    };
    const failing = await inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-half-way`,
      headers: callerIn(orgA, 'builder'),
      payload: { name: 'HALFWAY', failAfterFirst: true },
    });
    expect(failing.statusCode).toBe(500);
    expect(failing.json()).toMatchObject({ type: '/problems/internal', status: 500 });
    expect(failing.body).not.toContain('simulated failure');
    expect(await countOf('HALFWAY')).toBe(0);
    const succeeding = await inject({
      method: 'POST',
      url: `/api/orgs/${orgA}/test-half-way`,
      headers: callerIn(orgA, 'builder'),
      payload: { name: 'WHOLE', failAfterFirst: false },
    });
    expect(succeeding.statusCode).toBe(200);
    expect(await countOf('WHOLE')).toBe(2);
  });

  it('records the request id in the database session of the tenant transaction', async () => {
    const seen: string[] = [];
    const spy = defineRoute({
      method: 'GET',
      url: '/api/orgs/:orgId/test-request-id',
      summary: 'test only',
      tags: ['test'],
      permission: 'deals:read',
      audit: { optOut: 'test route' },
      schema: { params: z.object({ orgId: z.uuid() }), responses: { 200: z.object({}) } },
      handler: ({ tenant }) =>
        tenant(async (transaction) => {
          const result = await queryRows<Record<string, unknown>>(
            transaction,
            sql`SELECT current_setting('app.request_id') AS id`,
          );
          seen.push((result[0] as { id: string }).id);
          return {};
        }),
    });
    const other = await startTestVigil({ extraRoutes: [spy] });
    try {
      await withPlatformTransaction(other.testDatabase.database, { userId: null, requestId: 'seed' }, (transaction) =>
        transaction.insert(organisations).values({ id: orgA, slug: 'spy-a', name: 'A' }),
      );
      const response = await other.vigil.app.inject({
        method: 'GET',
        url: `/api/orgs/${orgA}/test-request-id`,
        headers: { ...callerIn(orgA, 'viewer'), 'x-request-id': 'edge-to-db-0001' },
      });
      expect(response.statusCode).toBe(200);
      expect(seen).toEqual(['edge-to-db-0001']);
    } finally {
      await other.close();
    }
  });
});
