// Interop: a receiver using the published Standard Webhooks library (`standardwebhooks`) and
// Svix's verifier accepts Vigil's deliveries — and rejects a flipped byte, a stale timestamp, and
// after a rotation's grace period, the old secret.
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { startWebhookReceiver, type WebhookReceiver } from './test-doubles/webhook-receiver.ts';
import { startWebhookTestServer, type WebhookTestServer } from './test-doubles/webhook-test-setup.ts';

let t: WebhookTestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await startWebhookTestServer();
  receiver = await startWebhookReceiver();
  // The verifiers compare the signed timestamp with the real time.
  t.server.clock.set(new Date());
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

function headersOf(index: number): Record<string, string> {
  const request = receiver.received[index];
  if (!request) throw new Error(`no request ${index}`);
  return Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
}

const verifiers = (secret: string) => [new StandardWebhook(secret), new SvixWebhook(secret)];

async function createEndpoint(): Promise<{ id: string; secret: string }> {
  const created = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints`, {
    url: receiver.url,
    eventTypes: ['deal.created'],
  });
  expect(created.status).toBe(201);
  const body = created.json() as { endpoint: { id: string }; secret: string };
  return { id: body.endpoint.id, secret: body.secret };
}

async function sendTest(endpointId: string): Promise<number> {
  const response = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints/${endpointId}/test`);
  expect(response.status).toBe(202);
  await t.drain();
  return receiver.received.length - 1;
}

describe(`Standard Webhooks interop (${testDatabaseKind})`, () => {
  it('produces deliveries that standardwebhooks and svix verify; a flipped byte fails', async () => {
    const { id, secret } = await createEndpoint();
    const index = await sendTest(id);
    const request = receiver.received[index];
    if (!request) throw new Error('nothing delivered');
    const headers = headersOf(index);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    for (const verifier of verifiers(secret)) {
      const payload = verifier.verify(request.body, headers) as { type: string; data: { endpointId: string } };
      expect(payload.type).toBe('webhook.test');
      expect(payload.data.endpointId).toBe(id);
      const flipped = Buffer.from(request.body);
      flipped[10] = (flipped[10] as number) ^ 0x01;
      expect(() => verifier.verify(flipped.toString(), headers)).toThrow();
      // Another message id (the last character changed, whatever it was) must not verify.
      const sentId = headers['webhook-id'] ?? '';
      const otherId = `${sentId.slice(0, -1)}${sentId.endsWith('0') ? '1' : '0'}`;
      expect(() => verifier.verify(request.body, { ...headers, 'webhook-id': otherId })).toThrow();
    }
  });

  it('is rejected by both verifiers when the timestamp is six minutes old', async () => {
    const { id, secret } = await createEndpoint();
    t.server.clock.set(new Date(Date.now() - 6 * 60_000));
    const index = await sendTest(id);
    t.server.clock.set(new Date());
    const request = receiver.received[index];
    if (!request) throw new Error('nothing delivered');
    for (const verifier of verifiers(secret))
      expect(() => verifier.verify(request.body, headersOf(index))).toThrow(/too old/i);
  });

  it('signs with both secrets during the rotation grace period, then only with the new one', async () => {
    const { id, secret: oldSecret } = await createEndpoint();
    const rotated = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints/${id}/secret/rotate`);
    const { secret: newSecret } = rotated.json() as { secret: string };

    const during = await sendTest(id);
    expect(headersOf(during)['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret])
      for (const verifier of verifiers(secret))
        expect(() => verifier.verify(receiver.received[during]?.body ?? '', headersOf(during))).not.toThrow();

    // Past the 24-hour grace period (the verifiers need the real time, so the grace end moves
    // instead): one second before the server's clock, not the database's — on a busy machine the
    // two drift apart by more than a second, which left the old secret in its grace period.
    await t.server.testDatabase.adminQuery(
      'UPDATE webhook_endpoints SET previous_secret_expires_at = $2 WHERE id = $1',
      [id, new Date(t.server.clock.now().getTime() - 1000)],
    );
    const after = await sendTest(id);
    expect(headersOf(after)['webhook-signature']?.split(' ')).toHaveLength(1);
    for (const verifier of verifiers(newSecret))
      expect(() => verifier.verify(receiver.received[after]?.body ?? '', headersOf(after))).not.toThrow();
    for (const verifier of verifiers(oldSecret))
      expect(() => verifier.verify(receiver.received[after]?.body ?? '', headersOf(after))).toThrow(/signature/i);
  });
});
