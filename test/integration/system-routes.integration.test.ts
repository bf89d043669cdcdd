// Health, readiness, metrics, status and the OpenAPI contract; and the rule that every route
// declares a permission and an audit policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/test-database.ts';
import { startTestVigil, type TestVigil } from '../helpers/test-vigil.ts';

let server: TestVigil;

beforeAll(async () => {
  server = await startTestVigil();
});

afterAll(async () => {
  await server?.close();
});

describe(`system routes (${testDatabaseKind})`, () => {
  it('declares a permission and an audit policy (or opt-out with a reason) on every registered route', () => {
    const registered = server.vigil.app.registeredRoutes;
    expect(registered.length).toBeGreaterThan(5);
    const undeclared = registered.filter((route) => {
      const vigil = (
        route.config as { vigil?: { permission?: string; audit?: { action?: string; optOut?: string } } } | undefined
      )?.vigil;
      const auditDeclared = Boolean(vigil?.audit?.action) || (vigil?.audit?.optOut?.trim().length ?? 0) >= 4;
      return !vigil?.permission || !auditDeclared;
    });
    expect(undeclared.map((route) => `${route.method} ${route.url}`)).toEqual([]);
  });

  it('answers liveness and readiness', async () => {
    expect((await server.vigil.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await server.vigil.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'current', rateLimit: 'memory' },
    });
  });

  it('reports not-ready (503) while a migration is pending', async () => {
    const [latest] = await server.testDatabase.adminQuery<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM vigil_migrations ORDER BY name DESC LIMIT 1',
    );
    await server.testDatabase.adminQuery('DELETE FROM vigil_migrations WHERE name = $1', [latest?.name]);
    try {
      const unready = await server.vigil.app.inject({ method: 'GET', url: '/readyz' });
      expect(unready.statusCode).toBe(503);
      expect(unready.json().checks.migrations).toBe('pending');
      const status = (await server.vigil.app.inject({ method: 'GET', url: '/api/status' })).json();
      expect(status.migrations.pending).toEqual([latest?.name]);
      expect(status.migrations.current).toBe(false);
    } finally {
      await server.testDatabase.adminQuery('INSERT INTO vigil_migrations (name, checksum) VALUES ($1, $2)', [
        latest?.name,
        latest?.checksum,
      ]);
    }
  });

  it('serves the status the web app shows', async () => {
    const response = await server.vigil.app.inject({ method: 'GET', url: '/api/status' });
    expect(response.statusCode).toBe(200);
    const status = response.json();
    expect(status).toMatchObject({
      service: 'vigil',
      profile: 'test',
      database: { kind: testDatabaseKind, reachable: true },
      migrations: { pending: [], current: true },
      serverTime: '2026-03-02T09:00:00.000Z',
    });
    expect(status.migrations.applied[0].name).toBe('0001_foundation.sql');
    expect(status.database.serverVersion).toMatch(/^\d+/);
  });

  it('exposes Prometheus metrics including request counts by route pattern', async () => {
    await server.vigil.app.inject({ method: 'GET', url: '/healthz' });
    const metrics = await server.vigil.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/vigil_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  });

  it('protects /metrics with METRICS_TOKEN when one is configured', async () => {
    const guarded = await startTestVigil({ environment: { METRICS_TOKEN: 'metrics-token-0123456789' } });
    try {
      expect((await guarded.vigil.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      const wrong = await guarded.vigil.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer metrics-token-0123456780' },
      });
      expect(wrong.statusCode).toBe(401);
      const right = await guarded.vigil.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer metrics-token-0123456789' },
      });
      expect(right.statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('publishes an OpenAPI 3.1 document generated from the route declarations', async () => {
    const response = await server.vigil.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/api/status', '/api/orgs/{orgId}/deals']),
    );
    expect(document.paths['/*']).toBeUndefined();
    const listDeals = document.paths['/api/orgs/{orgId}/deals'].get;
    expect(listDeals['x-vigil-permission']).toBe('deals:read');
    expect(
      listDeals.parameters.map((parameter: { name: string; in: string }) => `${parameter.in}:${parameter.name}`),
    ).toEqual(['path:orgId', 'query:limit', 'query:cursor']);
    expect(listDeals.responses['200'].content['application/json'].schema.properties.items.type).toBe('array');
    expect(listDeals.responses['4XX'].content['application/problem+json']).toBeDefined();
  });
});
