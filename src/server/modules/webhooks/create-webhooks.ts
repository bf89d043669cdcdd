import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import type { AnyRouteDefinition } from '../../platform/http/define-route.ts';
import { createJobWorker, type JobHandlers, type JobWorker } from '../../platform/jobs/job-worker.ts';
import type { RecurringJob } from '../../platform/jobs/recurring-jobs.ts';
import { createMailer, type Mailer } from '../identity/mail/create-mailer.ts';
import { createDeliverWebhookHandler } from './deliver-webhook-attempt.ts';
import { createEndpointAdmission } from './endpoint-admission.ts';
import { WEBHOOK_DELIVERY_JOB_KIND } from './enqueue-webhook-event.ts';
import {
  createWebhookPurgeJobHandler,
  WEBHOOK_PURGE_JOB_KIND,
  WEBHOOK_PURGE_SCHEDULE,
} from './purge-webhook-history.ts';
import { createWebhookTransport, type WebhookTransport } from './send-webhook-request.ts';
import { parseCidrAllowlist } from './webhook-address-policy.ts';
import { webhookRoutes } from './webhook-routes.ts';
import { type ResolveHost, systemResolveHost, type WebhookUrlPolicy } from './webhook-url-policy.ts';

export type Webhooks = {
  routes: AnyRouteDefinition[];
  /** Handlers for the shared worker: retention purge. */
  handlers: JobHandlers;
  schedules: RecurringJob[];
  /** The delivery handler (tests drive it through their own worker). */
  deliveryHandlers: JobHandlers;
  /**
   * Delivery lanes: `concurrency` workers claiming one delivery job at a time each, so a slow
   * receiver holds one lane, never a whole batch. Started by `vigil serve` (with its worker) and
   * `vigil worker`.
   */
  startDeliveryLanes(options?: { pollIntervalMs?: number }): JobWorker[];
  policy: WebhookUrlPolicy;
  transport: WebhookTransport;
  close(): Promise<void>;
};

/** Wires the webhooks module: URL policy, SSRF-safe transport, delivery handler, routes, purge. */
export function createWebhooks(options: {
  config: Config;
  database: Database;
  keyring: Keyring;
  clock: Clock;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** DNS for webhook hosts; tests inject answers (private names, rebinding). */
  resolveHost?: ResolveHost;
  mailer?: Pick<Mailer, 'sendMail'>;
  random?: () => number;
}): Webhooks {
  const { config, database, keyring, clock, log } = options;
  const settings = config.webhooks;
  const policy: WebhookUrlPolicy = {
    allowHttp: settings.allowHttp,
    allowlist: settings.allowedCidrs.length > 0 ? parseCidrAllowlist(settings.allowedCidrs) : null,
    resolveHost: options.resolveHost ?? systemResolveHost,
  };
  const transport = createWebhookTransport({ policy, timeoutMs: settings.timeoutMs });
  const mailer = options.mailer ?? createMailer({ config, database, keyring, clock, log });
  const admission = createEndpointAdmission({
    clock,
    maxInFlight: settings.endpointConcurrency,
    ratePerSecond: settings.endpointRatePerSecond,
  });
  const deliveryHandlers: JobHandlers = {
    [WEBHOOK_DELIVERY_JOB_KIND]: createDeliverWebhookHandler({
      database,
      keyring,
      clock,
      transport,
      admission,
      mailer,
      log,
      ...(options.random ? { random: options.random } : {}),
    }),
  };
  const lanes: JobWorker[] = [];
  return {
    routes: webhookRoutes({ keyring, clock, policy, settings }),
    handlers: { [WEBHOOK_PURGE_JOB_KIND]: createWebhookPurgeJobHandler({ database, clock }) },
    schedules: [WEBHOOK_PURGE_SCHEDULE],
    deliveryHandlers,
    startDeliveryLanes({ pollIntervalMs = settings.pollIntervalMs } = {}) {
      for (let lane = lanes.length; lane < settings.concurrency; lane += 1) {
        const worker = createJobWorker({ database, clock, log, handlers: deliveryHandlers, batchSize: 1 });
        worker.start({ pollIntervalMs });
        lanes.push(worker);
      }
      return lanes;
    },
    policy,
    transport,
    async close() {
      await Promise.all(lanes.splice(0).map((lane) => lane.stop()));
      transport.close();
    },
  };
}
