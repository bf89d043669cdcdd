import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Keyring } from '../../platform/crypto/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import type { AnyRouteDefinition } from '../../platform/http/define-route.ts';
import type { JobHandlers } from '../../platform/jobs/job-worker.ts';
import type { RecurringJob } from '../../platform/jobs/recurring-jobs.ts';
import { createMailer, type Mailer } from '../identity/mail/create-mailer.ts';
import { createEndpointAdmission } from './endpoint-admission.ts';
import {
  createWebhookPurgeJobHandler,
  WEBHOOK_PURGE_JOB_KIND,
  WEBHOOK_PURGE_SCHEDULE,
} from './purge-webhook-history.ts';
import { createSealedValueCache } from './sealed-value-cache.ts';
import { createWebhookTransport, type WebhookTransport } from './send-webhook-request.ts';
import { parseCidrAllowlist } from './webhook-address-policy.ts';
import { createDeliveryLanes, type DeliveryLanes } from './webhook-delivery-lanes.ts';
import { webhookRoutes } from './webhook-routes.ts';
import { type ResolveHost, systemResolveHost, type WebhookUrlPolicy } from './webhook-url-policy.ts';

export type Webhooks = {
  routes: AnyRouteDefinition[];
  /** Handlers for the shared worker: retention purge. */
  handlers: JobHandlers;
  schedules: RecurringJob[];
  /**
   * Delivery lanes: up to `concurrency` requests in flight, each lane claimed only when free, so a
   * slow receiver holds one lane, never a batch (webhook-delivery-lanes.ts). Started by
   * `vigil serve` (with its worker) and `vigil worker`.
   */
  startDeliveryLanes(options?: { pollIntervalMs?: number }): void;
  /**
   * Separate lanes, not started, with their own worker id: tests drain due deliveries with
   * `runOnce()` on their own clock.
   */
  createDeliveryLanes(options?: { workerId?: string }): DeliveryLanes;
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
  const sealed = createSealedValueCache(keyring);
  const newLanes = (workerId?: string) =>
    createDeliveryLanes({
      database,
      clock,
      log,
      transport,
      admission,
      sealed,
      mailer,
      lanes: settings.concurrency,
      ...(workerId ? { workerId } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
  let lanes: DeliveryLanes | null = null;
  return {
    routes: webhookRoutes({ keyring, clock, policy, settings }),
    handlers: { [WEBHOOK_PURGE_JOB_KIND]: createWebhookPurgeJobHandler({ database, clock }) },
    schedules: [WEBHOOK_PURGE_SCHEDULE],
    startDeliveryLanes({ pollIntervalMs = settings.pollIntervalMs } = {}) {
      lanes ??= newLanes();
      lanes.start({ pollIntervalMs });
    },
    createDeliveryLanes: ({ workerId } = {}) => newLanes(workerId),
    policy,
    transport,
    async close() {
      await lanes?.stop();
      lanes = null;
      transport.close();
    },
  };
}
