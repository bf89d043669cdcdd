// Batched delivery must not weaken what one-at-a-time delivery guaranteed. Threats: two workers
// claiming overlapping batches and sending one message twice at once; a paused or deleted
// endpoint still receiving because its configuration sat in a cache; a rotated secret not used
// because the old one was cached.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { newId } from '../../platform/db/ids.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { enqueueWebhookEvents } from './enqueue-webhook-event.ts';
import { startWebhookReceiver, type WebhookReceiver } from './test-doubles/webhook-receiver.ts';
import { startWebhookTestServer, type WebhookTestServer } from './test-doubles/webhook-test-setup.ts';

let t: WebhookTestServer;
let receiver: WebhookReceiver;
const endpoints = () => `/api/orgs/${t.orgId}/webhooks/endpoints`;

beforeAll(async () => {
  t = await startWebhookTestServer({ environment: { VIGIL_WEBHOOK_CONCURRENCY: '4' } });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});
beforeEach(async () => {
  await t.server.testDatabase.adminQuery("UPDATE webhook_endpoints SET status = 'paused' WHERE org_id = $1", [t.orgId]);
});

const deal = {
  id: newId(),
  name: 'Batch deal',
  stage: 'proposal',
  amountMinor: null,
  currency: null,
  closeDate: null,
  ownerName: null,
};

async function createEndpoint(): Promise<{ id: string; secret: string }> {
  const created = await t.request('POST', endpoints(), { url: receiver.url, eventTypes: ['deal.created'] });
  expect(created.status).toBe(201);
  const body = created.json() as { endpoint: { id: string }; secret: string };
  return { id: body.endpoint.id, secret: body.secret };
}

async function emit(count: number): Promise<string[]> {
  const queued = await withTenantTransaction(
    t.server.testDatabase.database,
    { orgId: t.orgId, userId: null, requestId: 'emit' },
    (transaction) =>
      enqueueWebhookEvents(
        { transaction, clock: t.server.clock },
        {
          orgId: t.orgId,
          events: Array.from({ length: count }, () => ({ type: 'deal.created' as const, data: { deal } })),
        },
      ),
  );
  return queued.map(({ messageId }) => messageId);
}

const receivedIds = (from: number) =>
  receiver.received.slice(from).map((request) => request.headers['webhook-id'] as string);

describe(`batched webhook delivery (${testDatabaseKind})`, () => {
  it('enqueues many events at once: one delivery and one first-attempt job per subscribed active endpoint', async () => {
    const created = await createEndpoint();
    const other = await t.request('POST', endpoints(), { url: receiver.url, eventTypes: ['deal.updated'] });
    expect(other.status).toBe(201);
    const updatedOnly = (other.json() as { endpoint: { id: string } }).endpoint.id;
    const events = [
      { type: 'deal.created' as const, data: { deal } },
      { type: 'deal.updated' as const, data: { deal, changed: ['stage'] } },
      { type: 'webhook.test' as const, data: { message: 'hi', endpointId: updatedOnly }, onlyEndpointId: updatedOnly },
      { type: 'deal.created' as const, data: { deal } },
    ];
    const enqueue = (fail: boolean) =>
      withTenantTransaction(
        t.server.testDatabase.database,
        { orgId: t.orgId, userId: null, requestId: 'emit-many' },
        async (transaction) => {
          const queued = await enqueueWebhookEvents({ transaction, clock: t.server.clock }, { orgId: t.orgId, events });
          if (fail) throw new Error('the change failed');
          return queued;
        },
      );
    const countRows = async () =>
      (
        await t.server.testDatabase.adminQuery<{ messages: string; deliveries: string; jobs: string }>(
          `SELECT (SELECT count(*) FROM webhook_messages)::text AS messages,
                  (SELECT count(*) FROM webhook_deliveries)::text AS deliveries,
                  (SELECT count(*) FROM jobs WHERE kind = 'webhook.deliver')::text AS jobs`,
        )
      )[0];
    const before = await countRows();
    // Outbox: everything is written in the caller's transaction, or nothing.
    await expect(enqueue(true)).rejects.toThrow('the change failed');
    expect(await countRows()).toEqual(before);

    const queued = await enqueue(false);
    expect(queued.map(({ deliveryIds }) => deliveryIds.length)).toEqual([1, 1, 1, 1]);
    const deliveryIds = queued.flatMap(({ deliveryIds }) => deliveryIds);
    const rows = await t.server.testDatabase.adminQuery<{
      id: string;
      endpoint_id: string;
      message_id: string;
      event_type: string;
      job_key: string;
      job_payload: { deliveryId: string; scheduledAttempt: number };
    }>(
      `SELECT d.id, d.endpoint_id, d.message_id, d.event_type, j.idempotency_key AS job_key, j.payload AS job_payload
         FROM webhook_deliveries d JOIN jobs j ON j.kind = 'webhook.deliver' AND j.payload ->> 'deliveryId' = d.id::text
        WHERE d.id = ANY($1::uuid[])`,
      [deliveryIds],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(rows).toHaveLength(4);
    for (const [index, { messageId, deliveryIds: ids }] of queued.entries()) {
      const row = byId.get(ids[0] as string);
      expect(row).toMatchObject({
        message_id: messageId,
        event_type: events[index]?.type,
        endpoint_id: index === 0 || index === 3 ? created.id : updatedOnly,
        job_key: `${ids[0]}#1`,
        job_payload: { deliveryId: ids[0], scheduledAttempt: 1 },
      });
    }
  });

  it('never sends one message twice when two workers claim batches at the same time', async () => {
    await createEndpoint();
    const first = receiver.received.length;
    const messageIds = await emit(12);
    const workerA = t.server.vigil.webhooks.createDeliveryLanes({ workerId: 'batch-worker-a' });
    const workerB = t.server.vigil.webhooks.createDeliveryLanes({ workerId: 'batch-worker-b' });
    // Over the endpoint's concurrency some attempts are deferred (given back, not counted):
    // move the clock on until nothing is left to claim.
    for (let round = 0; round < 40; round += 1) {
      const [a, b] = await Promise.all([workerA.runOnce(), workerB.runOnce()]);
      if (a + b === 0 && receivedIds(first).length >= messageIds.length) break;
      t.server.clock.advance(2_000);
    }
    await Promise.all([workerA.stop(), workerB.stop()]);

    const sent = receivedIds(first);
    expect([...sent].sort()).toEqual([...messageIds].sort());
    const deliveries = await t.server.testDatabase.adminQuery<{ state: string; attempts: number; logged: string }>(
      `SELECT d.state, d.attempts, (SELECT count(*) FROM webhook_attempts a WHERE a.delivery_id = d.id)::text AS logged
         FROM webhook_deliveries d WHERE d.message_id = ANY($1::uuid[])`,
      [messageIds],
    );
    expect(deliveries).toHaveLength(12);
    for (const row of deliveries) expect(row).toEqual({ state: 'succeeded', attempts: 1, logged: '1' });
    const [unfinished] = await t.server.testDatabase.adminQuery<{ count: string }>(
      "SELECT count(*)::text AS count FROM jobs WHERE kind = 'webhook.deliver' AND state IN ('queued', 'running')",
    );
    expect(unfinished?.count).toBe('0');
  });

  it('sends nothing to an endpoint paused after its secret was cached, and fails its pending delivery', async () => {
    const { id } = await createEndpoint();
    await emit(1);
    await t.drain(); // the endpoint's secret is now cached
    const before = receiver.received.length;
    const [messageId] = await emit(1);
    expect((await t.request('PATCH', `${endpoints()}/${id}`, { status: 'paused' })).status).toBe(200);
    await t.drain();
    expect(receiver.received.length).toBe(before);
    const [delivery] = await t.server.testDatabase.adminQuery<{ state: string; last_error_class: string }>(
      'SELECT state, last_error_class FROM webhook_deliveries WHERE message_id = $1',
      [messageId],
    );
    expect(delivery).toEqual({ state: 'failed', last_error_class: 'endpoint_disabled' });
  });

  it('sends nothing to an endpoint deleted while its delivery was queued', async () => {
    const { id } = await createEndpoint();
    await emit(1);
    await t.drain();
    const before = receiver.received.length;
    await emit(1);
    expect((await t.request('DELETE', `${endpoints()}/${id}`)).status).toBe(200);
    await t.drain();
    expect(receiver.received.length).toBe(before);
  });

  it('signs with the new secret right after a rotation, though the old one was cached', async () => {
    // The verifier checks the timestamp against real time.
    t.server.clock.set(new Date());
    const { id, secret: oldSecret } = await createEndpoint();
    await emit(1);
    await t.drain();
    const rotated = await t.request('POST', `${endpoints()}/${id}/secret/rotate`);
    const { secret: newSecret } = rotated.json() as { secret: string };
    expect(newSecret).not.toBe(oldSecret);
    const index = receiver.received.length;
    await emit(1);
    await t.drain();
    const request = receiver.received[index];
    if (!request) throw new Error('nothing delivered');
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
    ) as Record<string, string>;
    expect(() => new Webhook(newSecret).verify(request.body, headers)).not.toThrow();
  });
});
