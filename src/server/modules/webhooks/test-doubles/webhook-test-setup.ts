import { startTestVigil, type TestVigil, testCallerHeader } from '../../../../../test/helpers/test-vigil.ts';
import type { Caller } from '../../../platform/authz/caller.ts';
import { newId } from '../../../platform/db/ids.ts';
import { organisations } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import type { DeliveryLanes } from '../webhook-delivery-lanes.ts';
import type { ResolveHost } from '../webhook-url-policy.ts';

/** The test installation: http allowed and 127.0.0.1 allowlisted, so local receivers are reachable. */
export const LOCAL_RECEIVER_ENVIRONMENT = {
  VIGIL_WEBHOOK_ALLOW_HTTP: 'true',
  VIGIL_WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
  VIGIL_WEBHOOK_TIMEOUT_MS: '2000',
};

export type WebhookTestServer = {
  server: TestVigil;
  orgId: string;
  otherOrgId: string;
  as(role: 'viewer' | 'builder' | 'org_admin', orgId?: string): Record<string, string>;
  request(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    role?: 'viewer' | 'builder' | 'org_admin',
  ): Promise<{ status: number; json: () => Record<string, unknown> & { [key: string]: unknown } }>;
  /** Delivery lanes on the test clock, not started; `drain` runs every due delivery job. */
  lanes: DeliveryLanes;
  drain(): Promise<number>;
  close(): Promise<void>;
};

export async function startWebhookTestServer(
  options: { environment?: Record<string, string>; resolveHost?: ResolveHost } = {},
): Promise<WebhookTestServer> {
  const server = await startTestVigil({
    environment: { ...LOCAL_RECEIVER_ENVIRONMENT, ...options.environment },
    ...(options.resolveHost ? { webhookResolveHost: options.resolveHost } : {}),
  });
  const orgId = newId();
  const otherOrgId = newId();
  await withPlatformTransaction(server.testDatabase.database, { userId: null, requestId: 'seed' }, (transaction) =>
    transaction.insert(organisations).values([
      { id: orgId, slug: `wh-${orgId.slice(-12)}`, name: 'Webhooks Org' },
      { id: otherOrgId, slug: `wh-${otherOrgId.slice(-12)}`, name: 'Other Org' },
    ]),
  );
  const userIds = { viewer: newId(), builder: newId(), org_admin: newId() };
  const as = (role: 'viewer' | 'builder' | 'org_admin', org = orgId) =>
    testCallerHeader({
      userId: userIds[role],
      sessionId: null,
      platformAdmin: false,
      amr: ['pwd'],
      membership: { orgId: org, role },
    } satisfies Caller);
  const lanes = server.vigil.webhooks.createDeliveryLanes({ workerId: 'webhook-test-worker' });
  return {
    server,
    orgId,
    otherOrgId,
    as,
    async request(method, url, body, role = 'builder') {
      const response = await server.vigil.app.inject({
        method,
        url,
        headers: { ...as(role), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      return { status: response.statusCode, json: () => response.json() };
    },
    lanes,
    async drain() {
      let total = 0;
      for (let round = 0; round < 50; round += 1) {
        const processed = await lanes.runOnce();
        total += processed;
        if (processed === 0) break;
      }
      return total;
    },
    async close() {
      await lanes.stop();
      await server.close();
    },
  };
}
