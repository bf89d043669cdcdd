import { startTestVigil, type TestVigil, testCallerHeader } from '../../../../../test/helpers/test-vigil.ts';
import type { Caller } from '../../../platform/authz/caller.ts';
import { newId } from '../../../platform/db/ids.ts';
import { organisations } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { createJobWorker, type JobWorker } from '../../../platform/jobs/job-worker.ts';
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
  /** A worker running the delivery handler on the test clock; `drain` runs every due job. */
  worker: JobWorker;
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
  const worker = createJobWorker({
    database: server.testDatabase.database,
    clock: server.clock,
    log: server.vigil.logger,
    handlers: server.vigil.webhooks.deliveryHandlers,
    workerId: 'webhook-test-worker',
    batchSize: 10,
  });
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
    worker,
    async drain() {
      let total = 0;
      for (let round = 0; round < 50; round += 1) {
        const processed = await worker.runOnce();
        total += processed;
        if (processed === 0) break;
      }
      return total;
    },
    async close() {
      await worker.stop();
      await server.close();
    },
  };
}
