// Endpoints API: who may manage endpoints, the secret shown once and sealed at rest, rotation,
// save-time URL policy, and another organisation's endpoints staying invisible.
import { getTableConfig } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { startWebhookTestServer, type WebhookTestServer } from './test-doubles/webhook-test-setup.ts';
import { webhookTables } from './webhook-tables.ts';

let t: WebhookTestServer;
const base = () => `/api/orgs/${t.orgId}/webhooks/endpoints`;

beforeAll(async () => {
  t = await startWebhookTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe(`webhook endpoints API (${testDatabaseKind})`, () => {
  it('serves the versioned event catalogue with JSON schemas and examples, publicly', async () => {
    const response = await t.server.vigil.app.inject({ method: 'GET', url: '/api/webhooks/event-types' });
    expect(response.statusCode).toBe(200);
    const { items } = response.json() as {
      items: { type: string; version: number; schema: object; example: object }[];
    };
    expect(items.map((item) => item.type)).toEqual(
      expect.arrayContaining(['deal.created', 'deal.updated', 'deal.risk_changed', 'webhook.test']),
    );
    for (const item of items) {
      expect(item.version).toBe(1);
      expect(item.schema).toHaveProperty('type', 'object');
      expect(item.example).toHaveProperty('data');
    }
  });

  it('creates an endpoint, shows the whsec_ secret once and stores it sealed', async () => {
    const created = await t.request('POST', base(), {
      url: 'https://hooks.example.com/vigil',
      description: 'CRM bridge',
      eventTypes: ['deal.created', 'webhook.test'],
      headers: { 'X-Api-Key': 'CANARY-HEADER-VALUE' },
    });
    expect(created.status).toBe(201);
    const { endpoint, secret } = created.json() as { endpoint: Record<string, unknown>; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(endpoint.headerNames).toEqual(['X-Api-Key']);
    expect(endpoint.secretHint).toBe(`whsec_…${secret.slice(-5, -1)}`);

    const read = await t.request('GET', `${base()}/${endpoint.id as string}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.json())).not.toContain(secret.slice(6));
    expect(JSON.stringify(read.json())).not.toContain('CANARY-HEADER-VALUE');

    const [row] = await t.server.testDatabase.adminQuery<{ secret_sealed: string; custom_headers_sealed: string }>(
      'SELECT secret_sealed, custom_headers_sealed FROM webhook_endpoints WHERE id = $1',
      [endpoint.id],
    );
    expect(row?.secret_sealed).toMatch(/^vs1\./);
    expect(row?.custom_headers_sealed).toMatch(/^vs1\./);
    expect(JSON.stringify(row)).not.toContain('CANARY');

    const audit = await t.server.testDatabase.adminQuery<{ action: string }>(
      "SELECT action FROM audit_events WHERE org_id = $1 AND action LIKE 'webhook.%'",
      [t.orgId],
    );
    expect(audit.map((event) => event.action)).toContain('webhook.endpoint_created');
  });

  it('lets builders and org admins manage endpoints, not viewers', async () => {
    expect((await t.request('GET', base(), undefined, 'viewer')).status).toBe(403);
    expect(
      (await t.request('POST', base(), { url: 'https://a.example.com/', eventTypes: ['deal.created'] }, 'viewer'))
        .status,
    ).toBe(403);
    expect((await t.request('GET', base(), undefined, 'org_admin')).status).toBe(200);
  });

  it("hides another organisation's endpoints (404, never 403)", async () => {
    const created = await t.request('POST', base(), { url: 'https://b.example.com/', eventTypes: ['deal.updated'] });
    const id = (created.json().endpoint as { id: string }).id;
    const other = `/api/orgs/${t.otherOrgId}/webhooks/endpoints`;
    const asOther = async (method: 'GET' | 'PATCH' | 'DELETE' | 'POST', url: string, body?: unknown) =>
      t.server.vigil.app.inject({
        method,
        url,
        headers: { ...t.as('org_admin', t.otherOrgId), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { payload: JSON.stringify(body) } : {}),
      });
    expect((await asOther('GET', `${other}/${id}`)).statusCode).toBe(404);
    expect((await asOther('PATCH', `${other}/${id}`, { description: 'x' })).statusCode).toBe(404);
    expect((await asOther('POST', `${other}/${id}/secret/rotate`)).statusCode).toBe(404);
    expect((await asOther('DELETE', `${other}/${id}`)).statusCode).toBe(404);
    const list = (await asOther('GET', other)).json() as { items: unknown[] };
    expect(list.items).toEqual([]);
    // Asking for org A's endpoint under org A's URL with an org B membership: 404 as well.
    expect((await asOther('GET', `${base()}/${id}`)).statusCode).toBe(404);
  });

  it('refuses http (unless opted in), credentials in the URL and blocked addresses at save', async () => {
    const cases: [string, RegExp][] = [
      ['ftp://hooks.example.com/', /https/],
      ['https://user:pass@hooks.example.com/', /credentials/],
      ['https://169.254.169.254/latest/meta-data', /metadata/],
      ['https://10.1.2.3/', /not a public address/],
      ['https://[::ffff:127.0.0.2]/', /not a public address/],
      ['https://2130706434/', /not a public address/],
      ['https://localhost/', /localhost/],
    ];
    for (const [url, message] of cases) {
      const response = await t.request('POST', base(), { url, eventTypes: ['deal.created'] });
      expect(response.status, url).toBe(400);
      const problem = response.json() as { type: string; errors: { pointer: string; message: string }[] };
      expect(problem.type).toMatch(/validation-failed$/);
      expect(problem.errors[0]?.pointer).toBe('/body/url');
      expect(problem.errors[0]?.message).toMatch(message);
    }
  });

  it('rejects bad bodies with problem documents, never 500', async () => {
    for (const body of [
      {},
      { url: 'https://x.example.com/', eventTypes: [] },
      { url: 'https://x.example.com/', eventTypes: ['deal.exploded'] },
      { url: 'https://x.example.com/', eventTypes: ['deal.created'], headers: { 'webhook-signature': 'forged' } },
      { url: 'https://x.example.com/', eventTypes: ['deal.created'], headers: { 'X-A': 'line\r\nInjected: 1' } },
    ]) {
      const response = await t.request('POST', base(), body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('rotates the secret: a new one is shown once, the previous one is kept for the grace period', async () => {
    const created = await t.request('POST', base(), { url: 'https://c.example.com/', eventTypes: ['deal.created'] });
    const { endpoint, secret } = created.json() as { endpoint: { id: string }; secret: string };
    const rotated = await t.request('POST', `${base()}/${endpoint.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    const body = rotated.json() as { secret: string; previousSecretValidUntil: string };
    expect(body.secret).not.toBe(secret);
    expect(new Date(body.previousSecretValidUntil).getTime() - t.server.clock.now().getTime()).toBe(24 * 3_600_000);
    const read = (await t.request('GET', `${base()}/${endpoint.id}`)).json();
    expect(read.rotationGraceEndsAt).toBe(body.previousSecretValidUntil);
    const audit = await t.server.testDatabase.adminQuery<{ target_id: string }>(
      "SELECT target_id FROM audit_events WHERE org_id = $1 AND action = 'webhook.secret_rotated'",
      [t.orgId],
    );
    expect(audit.map((event) => event.target_id)).toContain(endpoint.id);
  });

  it('pauses, resumes and deletes endpoints, auditing each change', async () => {
    const created = await t.request('POST', base(), { url: 'https://d.example.com/', eventTypes: ['deal.created'] });
    const id = (created.json().endpoint as { id: string }).id;
    const paused = await t.request('PATCH', `${base()}/${id}`, { status: 'paused', description: 'on hold' });
    expect(paused.status).toBe(200);
    expect(paused.json()).toMatchObject({ status: 'paused', description: 'on hold' });
    expect((await t.request('POST', `${base()}/${id}/test`)).status).toBe(409);
    expect((await t.request('PATCH', `${base()}/${id}`, { status: 'active' })).json()).toMatchObject({
      status: 'active',
    });
    expect((await t.request('DELETE', `${base()}/${id}`)).status).toBe(200);
    expect((await t.request('GET', `${base()}/${id}`)).status).toBe(404);
    const audit = await t.server.testDatabase.adminQuery<{ action: string }>(
      'SELECT action FROM audit_events WHERE org_id = $1 AND target_id = $2 ORDER BY seq',
      [t.orgId, id],
    );
    expect(audit.map((event) => event.action)).toEqual([
      'webhook.endpoint_created',
      'webhook.endpoint_updated',
      'webhook.endpoint_updated',
      'webhook.endpoint_deleted',
    ]);
  });

  it('declares exactly the columns, types and nullability migration 0007 creates', async () => {
    const normalise = (type: string) =>
      ({ timestamptz: 'timestamp with time zone', int4: 'integer', _text: 'text[]' })[type] ?? type;
    for (const table of Object.values(webhookTables)) {
      const config = getTableConfig(table);
      const columns = await t.server.testDatabase.adminQuery<{
        column_name: string;
        udt_name: string;
        is_nullable: string;
      }>(
        "SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name",
        [config.name],
      );
      const declared = config.columns
        .map((column) => ({ name: column.name, type: column.getSQLType(), nullable: !column.notNull }))
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(declared, config.name).toEqual(
        columns.map((column) => ({
          name: column.column_name,
          type: normalise(column.udt_name),
          nullable: column.is_nullable === 'YES',
        })),
      );
    }
  });
});
