// Delivery on a controlled clock: the outbox commits with the caller's transaction, the retry
// schedule with jitter, every attempt logged, Retry-After honoured, redirects and 410 handled,
// resend/recover, auto-disable after five failing days (mail + audit), and the 30-day purge.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { newId } from '../../platform/db/ids.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { enqueueWebhookEvent } from './enqueue-webhook-event.ts';
import { purgeWebhookHistory } from './purge-webhook-history.ts';
import { WEBHOOK_RETRY_DELAYS_MS } from './retry-schedule.ts';
import { startWebhookReceiver, type WebhookReceiver } from './test-doubles/webhook-receiver.ts';
import { startWebhookTestServer, type WebhookTestServer } from './test-doubles/webhook-test-setup.ts';

let t: WebhookTestServer;
let receiver: WebhookReceiver;
const endpoints = () => `/api/orgs/${t.orgId}/webhooks/endpoints`;

type DeliveryRow = { id: string; state: string; attempts: number; next_attempt_at: Date | string | null };
type AttemptRow = {
  attempt_number: number;
  status_code: number | null;
  error_class: string | null;
  error_message: string | null;
  started_at: Date | string;
  next_retry_at: Date | string | null;
  response_body: string | null;
  response_headers: Record<string, string> | null;
  request_headers: Record<string, string>;
  duration_ms: number;
};

beforeAll(async () => {
  t = await startWebhookTestServer();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});
beforeEach(async () => {
  receiver.respondWith((_request, response) => response.writeHead(204).end());
  // Each test counts only its own endpoint's requests.
  await t.server.testDatabase.adminQuery("UPDATE webhook_endpoints SET status = 'paused' WHERE org_id = $1", [t.orgId]);
});

async function createEndpoint(eventTypes = ['deal.created']): Promise<string> {
  const created = await t.request('POST', endpoints(), {
    url: receiver.url,
    eventTypes,
    headers: { 'X-Token': 'CANARY-H' },
  });
  expect(created.status).toBe(201);
  return (created.json().endpoint as { id: string }).id;
}

const deal = {
  id: newId(),
  name: 'Acme renewal',
  stage: 'proposal',
  amountMinor: 120000,
  currency: 'EUR',
  closeDate: null,
  ownerName: 'Sam',
};

async function emitDealCreated(): Promise<{ messageId: string; deliveryIds: string[] }> {
  return withTenantTransaction(
    t.server.testDatabase.database,
    { orgId: t.orgId, userId: null, requestId: 'emit' },
    (transaction) =>
      enqueueWebhookEvent(
        { transaction, clock: t.server.clock },
        { orgId: t.orgId, type: 'deal.created', data: { deal } },
      ),
  );
}

async function delivery(id: string): Promise<DeliveryRow> {
  const [row] = await t.server.testDatabase.adminQuery<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = $1', [
    id,
  ]);
  if (!row) throw new Error('no delivery');
  return row;
}

const attempts = (deliveryId: string) =>
  t.server.testDatabase.adminQuery<AttemptRow>(
    'SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt_number',
    [deliveryId],
  );

/** Moves the clock to the delivery's next attempt and runs it. */
async function runNextAttempt(deliveryId: string): Promise<void> {
  const row = await delivery(deliveryId);
  if (row.next_attempt_at) t.server.clock.set(new Date(row.next_attempt_at));
  await t.drain();
}

describe(`webhook delivery (${testDatabaseKind})`, () => {
  it('writes the outbox in the caller’s transaction: a rolled-back change emits nothing', async () => {
    await createEndpoint();
    const before = receiver.received.length;
    await expect(
      withTenantTransaction(
        t.server.testDatabase.database,
        { orgId: t.orgId, userId: null, requestId: 'rb' },
        async (transaction) => {
          await enqueueWebhookEvent(
            { transaction, clock: t.server.clock },
            { orgId: t.orgId, type: 'deal.created', data: { deal } },
          );
          throw new Error('the deal change failed');
        },
      ),
    ).rejects.toThrow('the deal change failed');
    await t.drain();
    expect(receiver.received.length).toBe(before);
    // Invalid data for the type is refused before anything is written.
    await expect(
      withTenantTransaction(
        t.server.testDatabase.database,
        { orgId: t.orgId, userId: null, requestId: 'bad' },
        (transaction) =>
          enqueueWebhookEvent(
            { transaction, clock: t.server.clock },
            { orgId: t.orgId, type: 'deal.created', data: { deal: { id: 'nope' } } as never },
          ),
      ),
    ).rejects.toThrow();
  });

  it('retries on the schedule (5 s … 10 h, ±10 % jitter), logs every attempt, keeps the webhook-id', async () => {
    const endpointId = await createEndpoint(['deal.updated']);
    receiver.respondWith((_request, response) =>
      response.writeHead(500, { 'x-trace': 'abc' }).end('database down\u0000!'),
    );
    const { messageId, deliveryIds } = await withTenantTransaction(
      t.server.testDatabase.database,
      { orgId: t.orgId, userId: null, requestId: 'emit' },
      (transaction) =>
        enqueueWebhookEvent(
          { transaction, clock: t.server.clock },
          { orgId: t.orgId, type: 'deal.updated', data: { deal, changed: ['stage'] } },
        ),
    );
    const deliveryId = deliveryIds[0] as string;
    const first = receiver.received.length;
    await t.drain();
    for (let attempt = 2; attempt <= 8; attempt += 1) await runNextAttempt(deliveryId);
    // Nothing more is scheduled after the eighth attempt.
    t.server.clock.advance(24 * 3_600_000);
    await t.drain();

    const sent = receiver.received.slice(first);
    expect(sent).toHaveLength(8);
    expect(new Set(sent.map((request) => request.headers['webhook-id']))).toEqual(new Set([messageId]));
    expect(new Set(sent.map((request) => request.headers['webhook-timestamp'])).size).toBe(8);

    const log = await attempts(deliveryId);
    expect(log.map((entry) => entry.attempt_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const [index, entry] of log.entries()) {
      expect(entry.status_code).toBe(500);
      expect(entry.error_class).toBe('http');
      expect(entry.response_body).toBe('database down!');
      expect(entry.response_headers?.['x-trace']).toBe('abc');
      expect(entry.request_headers['webhook-id']).toBe(messageId);
      expect(entry.request_headers['x-token']).toBe('[redacted]');
      expect(entry.duration_ms).toBeGreaterThanOrEqual(0);
      const delay = WEBHOOK_RETRY_DELAYS_MS[index];
      if (delay === undefined) expect(entry.next_retry_at).toBeNull();
      else {
        const actual = new Date(entry.next_retry_at as string).getTime() - new Date(entry.started_at).getTime();
        expect(actual).toBeGreaterThanOrEqual(delay * 0.9 - 1);
        expect(actual).toBeLessThanOrEqual(delay * 1.1 + 1);
      }
    }
    expect(await delivery(deliveryId)).toMatchObject({ state: 'failed', attempts: 8, next_attempt_at: null });

    // The delivery log API shows it, filterable by state and type.
    const list = await t.request('GET', `${endpoints()}/${endpointId}/messages?state=failed&eventType=deal.updated`);
    expect(list.json().items).toEqual([expect.objectContaining({ messageId, state: 'failed', attempts: 8 })]);
    expect((await t.request('GET', `${endpoints()}/${endpointId}/messages?state=succeeded`)).json().items).toEqual([]);
    // …and by time: created at or after `from`, before `to`.
    const listed = async (query: string) =>
      (
        (await t.request('GET', `${endpoints()}/${endpointId}/messages?${query}`)).json().items as {
          messageId: string;
        }[]
      ).map((item) => item.messageId);
    expect(await listed('state=failed&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z')).toEqual([messageId]);
    expect(await listed('state=failed&from=2100-01-01T00:00:00Z')).toEqual([]);
    expect(await listed('state=failed&to=2000-01-01T00:00:00Z')).toEqual([]);
    const detail = await t.request('GET', `${endpoints()}/${endpointId}/messages/${messageId}`);
    expect(detail.json().attemptLog).toHaveLength(8);
    expect(JSON.parse(detail.json().payload as string)).toMatchObject({
      type: 'deal.updated',
      data: { changed: ['stage'] },
    });

    // Resend: one more attempt with the same webhook-id, logged as manual.
    receiver.respondWith((_request, response) => response.writeHead(200).end('ok'));
    expect((await t.request('POST', `${endpoints()}/${endpointId}/messages/${messageId}/resend`)).status).toBe(202);
    await t.drain();
    expect(receiver.received.at(-1)?.headers['webhook-id']).toBe(messageId);
    expect(await delivery(deliveryId)).toMatchObject({ state: 'succeeded', attempts: 9 });
    expect((await attempts(deliveryId)).at(-1)).toMatchObject({ attempt_number: 9, status_code: 200 });
  });

  it('honours Retry-After on 429 and 503, and treats a redirect as a failure it does not follow', async () => {
    await createEndpoint();
    let answer = 0;
    receiver.respondWith((_request, response) => {
      answer += 1;
      if (answer === 1) response.writeHead(429, { 'retry-after': '3600' }).end();
      else if (answer === 2) response.writeHead(302, { location: 'http://169.254.169.254/latest' }).end();
      else response.writeHead(200).end();
    });
    const { deliveryIds } = await emitDealCreated();
    const deliveryId = deliveryIds.at(-1) as string;
    const before = receiver.received.length;
    await t.drain();
    const [limited] = await attempts(deliveryId);
    const wait =
      new Date(limited?.next_retry_at as string).getTime() - new Date(limited?.started_at as string).getTime();
    expect(wait).toBe(3_600_000);
    await runNextAttempt(deliveryId);
    const redirected = (await attempts(deliveryId))[1];
    expect(redirected).toMatchObject({ status_code: 302, error_class: 'http' });
    expect(redirected?.error_message).toMatch(/redirect/);
    // Only our receiver was contacted: the redirect target never was.
    expect(receiver.received.length - before).toBe(2);
    await runNextAttempt(deliveryId);
    expect(await delivery(deliveryId)).toMatchObject({ state: 'succeeded', attempts: 3 });
  });

  it('disables the endpoint on 410 Gone and stops delivering to it', async () => {
    const endpointId = await createEndpoint(['deal.risk_changed']);
    receiver.respondWith((_request, response) => response.writeHead(410).end());
    const send = () =>
      withTenantTransaction(
        t.server.testDatabase.database,
        { orgId: t.orgId, userId: null, requestId: 'emit' },
        (transaction) =>
          enqueueWebhookEvent(
            { transaction, clock: t.server.clock },
            {
              orgId: t.orgId,
              type: 'deal.risk_changed',
              data: { dealId: deal.id, previousScore: 10, score: 80, band: 'high', factors: [] },
            },
          ),
      );
    const { deliveryIds } = await send();
    await t.drain();
    expect(await delivery(deliveryIds[0] as string)).toMatchObject({
      state: 'failed',
      attempts: 1,
      next_attempt_at: null,
    });
    const endpoint = (await t.request('GET', `${endpoints()}/${endpointId}`)).json();
    expect(endpoint).toMatchObject({ status: 'disabled', disabledReason: expect.stringMatching(/410/) });
    expect((await send()).deliveryIds).toEqual([]);
    const audit = await t.server.testDatabase.adminQuery<{ action: string; actor_role: string }>(
      "SELECT action, actor_role FROM audit_events WHERE target_id = $1 AND action = 'webhook.endpoint_auto_disabled'",
      [endpointId],
    );
    expect(audit).toEqual([{ action: 'webhook.endpoint_auto_disabled', actor_role: 'system' }]);
    // Re-enabling is by hand.
    expect((await t.request('PATCH', `${endpoints()}/${endpointId}`, { status: 'active' })).json().status).toBe(
      'active',
    );
  });

  it('ends an endpoint’s failure streak with its next success, so it is not disabled five days later', async () => {
    const endpointId = await createEndpoint(['deal.created']);
    receiver.respondWith((_request, response) => response.destroy());
    const startedAt = t.server.clock.now();
    await emitDealCreated();
    await t.drain();
    expect((await t.request('GET', `${endpoints()}/${endpointId}`)).json().failingSince).toBe(startedAt.toISOString());
    receiver.respondWith((_request, response) => response.writeHead(204).end());
    await emitDealCreated();
    await t.drain();
    expect((await t.request('GET', `${endpoints()}/${endpointId}`)).json().failingSince).toBeNull();
  });

  it('auto-disables after five days of failures, mails the org admins and audits it; recover resends', async () => {
    const adminId = newId();
    await t.server.testDatabase.adminQuery(
      `INSERT INTO users (id, email, email_normalised, tokens_valid_after, created_at, updated_at)
       VALUES ($1, 'owner@webhooks.test', 'owner@webhooks.test', now(), now(), now())`,
      [adminId],
    );
    await t.server.testDatabase.adminQuery(
      "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'org_admin', now())",
      [t.orgId, adminId],
    );
    const endpointId = await createEndpoint(['deal.created']);
    receiver.respondWith((_request, response) => response.destroy());
    const startedAt = t.server.clock.now();
    const first = await emitDealCreated();
    await t.drain();
    expect((await t.request('GET', `${endpoints()}/${endpointId}`)).json().failingSince).toBe(startedAt.toISOString());
    // Four days later a new event fails too: still active.
    t.server.clock.advance(4 * 86_400_000);
    await emitDealCreated();
    await t.drain();
    expect((await t.request('GET', `${endpoints()}/${endpointId}`)).json().status).toBe('active');
    // Past five days of nothing but failures: disabled.
    t.server.clock.advance(86_400_000 + 1000);
    await emitDealCreated();
    await t.drain();
    const endpoint = (await t.request('GET', `${endpoints()}/${endpointId}`)).json();
    expect(endpoint.status).toBe('disabled');
    expect(endpoint.disabledReason).toMatch(/5 days/);
    const mail = await t.server.testDatabase.adminQuery<{ to_address: string; subject: string }>(
      "SELECT to_address, subject FROM mail_outbox WHERE subject LIKE '%webhook%'",
    );
    expect(mail).toEqual([{ to_address: 'owner@webhooks.test', subject: 'A webhook endpoint was disabled' }]);
    const log = await attempts(first.deliveryIds[0] as string);
    expect(log[0]?.error_class).toBe('connect');

    // Retries due while it is disabled are not sent: those deliveries fail.
    t.server.clock.advance(60_000);
    await t.drain();
    // Re-enable by hand, then recover every failed message since the first one.
    receiver.respondWith((_request, response) => response.writeHead(200).end());
    await t.request('PATCH', `${endpoints()}/${endpointId}`, { status: 'active' });
    const recovered = await t.request('POST', `${endpoints()}/${endpointId}/recover`, {
      since: startedAt.toISOString(),
    });
    expect(recovered.status).toBe(202);
    expect(recovered.json().requeued).toBeGreaterThanOrEqual(1);
    await t.drain();
    const states = (await t.request('GET', `${endpoints()}/${endpointId}/messages`)).json().items as {
      state: string;
    }[];
    expect(states.filter((item) => item.state === 'failed')).toEqual([]);
    const health = (await t.request('GET', endpoints())).json().items as {
      id: string;
      health: { successRate: number };
    }[];
    expect(health.find((item) => item.id === endpointId)?.health.successRate).toBe(1);
  });

  it('purges messages and attempts older than 30 days, keeps newer ones', async () => {
    await createEndpoint();
    const old = await emitDealCreated();
    await t.drain();
    t.server.clock.advance(29 * 86_400_000);
    const recent = await emitDealCreated();
    await t.drain();
    t.server.clock.advance(1 * 86_400_000 + 1000);
    const purged = await purgeWebhookHistory({ database: t.server.testDatabase.database, clock: t.server.clock });
    expect(purged.messages).toBeGreaterThanOrEqual(1);
    const left = await t.server.testDatabase.adminQuery<{ id: string }>('SELECT id FROM webhook_messages');
    const ids = left.map((row) => row.id);
    expect(ids).not.toContain(old.messageId);
    expect(ids).toContain(recent.messageId);
    const oldAttempts = await t.server.testDatabase.adminQuery<{ count: string }>(
      'SELECT count(*)::text AS count FROM webhook_attempts WHERE started_at < $1',
      [new Date(t.server.clock.now().getTime() - 30 * 86_400_000).toISOString()],
    );
    expect(oldAttempts[0]?.count).toBe('0');
  });
});
