// Threat: one slow receiver starving everyone else. A receiver that holds every request open
// must occupy at most its per-endpoint share of the delivery lanes; other endpoints' messages
// keep flowing meanwhile, and the slow endpoint's messages are delivered once it recovers.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { enqueueWebhookEvent } from './enqueue-webhook-event.ts';
import { startWebhookReceiver, type WebhookReceiver } from './test-doubles/webhook-receiver.ts';
import { startWebhookTestServer, type WebhookTestServer } from './test-doubles/webhook-test-setup.ts';

let t: WebhookTestServer;
let slow: WebhookReceiver;
let fast: WebhookReceiver;
const held: ServerResponse[] = [];
let slowOpen = 0;
let slowMaxOpen = 0;
let recovered = false;

beforeAll(async () => {
  t = await startWebhookTestServer({
    environment: {
      VIGIL_WEBHOOK_CONCURRENCY: '4',
      VIGIL_WEBHOOK_ENDPOINT_CONCURRENCY: '2',
      VIGIL_WEBHOOK_TIMEOUT_MS: '20000',
    },
  });
  slow = await startWebhookReceiver((_request, response) => {
    if (recovered) return response.writeHead(204).end();
    slowOpen += 1;
    slowMaxOpen = Math.max(slowMaxOpen, slowOpen);
    held.push(response);
  });
  fast = await startWebhookReceiver();
});
afterAll(async () => {
  await t?.server.vigil.webhooks.close();
  await slow?.close();
  await fast?.close();
  await t?.close();
});

async function endpoint(url: string, type: string): Promise<void> {
  const created = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints`, { url, eventTypes: [type] });
  expect(created.status).toBe(201);
}

const deal = {
  id: '01939f3a-8c2e-7b4d-9a51-3f0c2d1e4b6a',
  name: 'Big deal',
  stage: 'proposal',
  amountMinor: null,
  currency: null,
  closeDate: null,
  ownerName: null,
};

describe(`per-endpoint concurrency (${testDatabaseKind})`, () => {
  it('keeps delivering to a healthy endpoint while another holds every request open', async () => {
    await endpoint(slow.url, 'deal.created');
    await endpoint(fast.url, 'deal.updated');
    await withTenantTransaction(
      t.server.testDatabase.database,
      { orgId: t.orgId, userId: null, requestId: 'emit' },
      async (transaction) => {
        const context = { transaction, clock: t.server.clock };
        // The slow endpoint's messages first, so they are claimed first.
        for (let index = 0; index < 8; index += 1)
          await enqueueWebhookEvent(context, { orgId: t.orgId, type: 'deal.created', data: { deal } });
        for (let index = 0; index < 4; index += 1)
          await enqueueWebhookEvent(context, {
            orgId: t.orgId,
            type: 'deal.updated',
            data: { deal, changed: ['stage'] },
          });
      },
    );
    t.server.vigil.webhooks.startDeliveryLanes({ pollIntervalMs: 10 });

    await vi.waitFor(() => expect(fast.received).toHaveLength(4), { timeout: 15_000, interval: 20 });
    expect(slowMaxOpen).toBeLessThanOrEqual(2);
    expect(slow.received.length).toBeLessThanOrEqual(2);

    // The receiver recovers: held requests answer, deferred messages come due and go out.
    recovered = true;
    for (const response of held.splice(0)) response.writeHead(204).end();
    await vi.waitFor(
      async () => {
        t.server.clock.advance(2_000);
        const ids = new Set(slow.received.map((request) => request.headers['webhook-id']));
        expect(ids.size).toBe(8);
      },
      { timeout: 20_000, interval: 50 },
    );
    await vi.waitFor(
      async () => {
        const [row] = await t.server.testDatabase.adminQuery<{ count: string }>(
          "SELECT count(*)::text AS count FROM webhook_deliveries WHERE state <> 'succeeded'",
        );
        expect(row?.count).toBe('0');
      },
      { timeout: 10_000, interval: 50 },
    );
  });
});
