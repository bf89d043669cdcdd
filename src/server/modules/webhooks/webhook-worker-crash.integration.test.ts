// At-least-once across a crash: a `vigil worker` process is killed after it sent a delivery and
// before it recorded the outcome. Nothing is lost — another worker picks the job up once the
// dead worker's lease expires and sends the same message again, with the same `webhook-id`.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { startWebhookReceiver, type WebhookReceiver } from './test-doubles/webhook-receiver.ts';
import {
  LOCAL_RECEIVER_ENVIRONMENT,
  startWebhookTestServer,
  type WebhookTestServer,
} from './test-doubles/webhook-test-setup.ts';

const VIGIL_BIN = fileURLToPath(new URL('../../../../bin/vigil.js', import.meta.url));

// The worker runs as a separate process on the same database; PGlite is an in-process database
// that another process cannot open at the same time, so this runs on PostgreSQL only.
describe.skipIf(testDatabaseKind !== 'postgres')(
  `a worker killed between send and record (${testDatabaseKind})`,
  () => {
    let t: WebhookTestServer;
    let receiver: WebhookReceiver;
    let child: ChildProcess | null = null;
    let killed = false;

    beforeAll(async () => {
      t = await startWebhookTestServer();
      receiver = await startWebhookReceiver((_request, response) => {
        if (!killed) {
          // The worker has sent the request; kill it before it can record anything.
          killed = true;
          child?.kill('SIGKILL');
          response.destroy();
          return;
        }
        response.writeHead(204).end();
      });
    });
    afterAll(async () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await receiver?.close();
      await t?.close();
    });

    it('delivers the message again with the same webhook-id', async () => {
      const database = t.server.testDatabase.databaseConfig;
      if (database.kind !== 'postgres') throw new Error('postgres only');
      const created = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints`, {
        url: receiver.url,
        eventTypes: ['deal.created'],
      });
      const endpointId = (created.json().endpoint as { id: string }).id;
      const sent = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints/${endpointId}/test`);
      const { messageId, deliveryId } = sent.json() as { messageId: string; deliveryId: string };

      child = spawn(process.execPath, [VIGIL_BIN, 'worker'], {
        env: {
          PATH: process.env.PATH,
          VIGIL_PROFILE: 'test',
          LOG_LEVEL: 'warn',
          DATABASE_URL: database.url,
          ...LOCAL_RECEIVER_ENVIRONMENT,
          VIGIL_WEBHOOK_POLL_MS: '50',
        },
        stdio: 'ignore',
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child?.on('exit', (_code, signal) => resolve(signal)),
      );
      expect(await exited).toBe('SIGKILL');
      expect(receiver.received).toHaveLength(1);

      // The job is still 'running' under the dead worker's lease, and no attempt was recorded.
      const [job] = await t.server.testDatabase.adminQuery<{ state: string; locked_until: Date }>(
        "SELECT state, locked_until FROM jobs WHERE kind = 'webhook.deliver' AND payload->>'deliveryId' = $1",
        [deliveryId],
      );
      expect(job?.state).toBe('running');
      const attemptsBefore = await t.server.testDatabase.adminQuery(
        'SELECT 1 FROM webhook_attempts WHERE delivery_id = $1',
        [deliveryId],
      );
      expect(attemptsBefore).toHaveLength(0);

      // Past the lease, another worker claims the job and delivers it again.
      t.server.clock.set(new Date(new Date(job?.locked_until as Date).getTime() + 1_000));
      await vi.waitFor(async () => expect(await t.drain()).toBeGreaterThan(0), { timeout: 5_000 });
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received.map((request) => request.headers['webhook-id'])).toEqual([messageId, messageId]);
      const [delivery] = await t.server.testDatabase.adminQuery<{ state: string; attempts: number }>(
        'SELECT state, attempts FROM webhook_deliveries WHERE id = $1',
        [deliveryId],
      );
      expect(delivery).toEqual({ state: 'succeeded', attempts: 1 });
    });
  },
);
