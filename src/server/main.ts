import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { Config } from './config.ts';
import { appendAuditEvent } from './modules/audit/append-audit-event.ts';
import { auditRoutes } from './modules/audit/audit-routes.ts';
import { adminRoutes } from './modules/admin/admin-routes.ts';
import { dealRoutes } from './modules/deals/deal-routes.ts';
import { organisationRoutes } from './modules/organisations/organisation-routes.ts';
import {
  createSupportAccessExpiryJobHandler,
  SUPPORT_ACCESS_EXPIRY_JOB_KIND,
  SUPPORT_ACCESS_EXPIRY_SCHEDULE,
} from './modules/support-access/expire-lapsed-support-access.ts';
import { supportAccessRoutes } from './modules/support-access/support-access-routes.ts';
import { DEMO_ACCOUNT, seedDemoOrganisation } from './modules/organisations/seed-demo-organisation.ts';
import { securityTxtRoute } from './modules/system/security-txt-route.ts';
import { systemRoutes } from './modules/system/system-routes.ts';
import { webAppRoutes } from './modules/system/web-app-routes.ts';
import type { AccessChanged } from './modules/organisations/organisation-context.ts';
import type { Authenticator } from './platform/authz/caller.ts';
import { createIdentity, type Identity } from './modules/identity/create-identity.ts';
import {
  createSessionMaintenanceJobHandler,
  SESSION_MAINTENANCE_JOB_KIND,
  SESSION_MAINTENANCE_SCHEDULE,
} from './modules/identity/sessions/maintain-sessions.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import type { Database } from './platform/db/database.ts';
import { createKeyring, type Keyring } from './platform/crypto/keyring.ts';
import { resolveMasterKey } from './platform/crypto/resolve-master-key.ts';
import { openDatabase } from './platform/db/open-database.ts';
import { transactionQuery } from './platform/db/query-rows.ts';
import { createHttpServer } from './platform/http/create-http-server.ts';
import type { AnyRouteDefinition } from './platform/http/define-route.ts';
import { createHttpsRedirectServer, readTlsFiles } from './platform/http/tls.ts';
import { loadStaticFiles, type StaticFile } from './platform/http/static-files.ts';
import type { JobHandlers } from './platform/jobs/job-worker.ts';
import {
  createJobPurgeJobHandler,
  JOB_PURGE_JOB_KIND,
  JOB_PURGE_SCHEDULE,
} from './platform/jobs/purge-finished-jobs.ts';
import { type RecurringJob, startRecurringJobs } from './platform/jobs/recurring-jobs.ts';
import {
  BACKUP_SCHEDULED_JOB_KIND,
  createScheduledBackupJobHandler,
  DAILY_BACKUP_SCHEDULE,
} from './modules/backups/scheduled-backup-job.ts';
import { createJobWorker, type JobWorker } from './platform/jobs/job-worker.ts';
import { createLogger } from './platform/log/create-logger.ts';
import { createMetrics } from './platform/metrics/create-metrics.ts';
import { createMemoryRateLimitStore } from './platform/rate-limit/memory-store.ts';
import { createRateLimiter, type RateLimitPolicies } from './platform/rate-limit/rate-limiter.ts';
import type { RateLimitStore } from './platform/rate-limit/rate-limit-store.ts';
import { createRedisRateLimitStore } from './platform/rate-limit/redis-store.ts';
import { createWebhooks, type Webhooks } from './modules/webhooks/create-webhooks.ts';
import {
  createWebhookPurgeJobHandler,
  WEBHOOK_PURGE_JOB_KIND,
  WEBHOOK_PURGE_SCHEDULE,
} from './modules/webhooks/purge-webhook-history.ts';
import type { ResolveHost } from './modules/webhooks/webhook-url-policy.ts';

export type Vigil = {
  config: Config;
  app: FastifyInstance;
  database: Database;
  logger: Logger;
  clock: Clock;
  worker: JobWorker | null;
  /** Envelope encryption for secret columns (integration tokens, webhook secrets, TOTP, keys). */
  keyring: Keyring;
  routes: readonly AnyRouteDefinition[];
  identity: Identity;
  webhooks: Webhooks;
  /** Listens on config.host:config.port (and the HTTP→HTTPS redirect port); resolves to the base URL. */
  listen(): Promise<string>;
  /** Re-reads TLS_CERT/TLS_KEY into the running server: new handshakes use them, open connections stay. */
  reloadTls(): void;
  close(): Promise<void>;
};

export type VigilOptions = {
  config: Config;
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: DestinationStream;
  clock?: Clock;
  /** Identity seam: resolves callers. The identity module plugs in here. */
  authenticate?: Authenticator;
  /** An already-open database (tests); otherwise opened (and migrated) from config. */
  database?: Database;
  /** Run a job worker in this process (npm start does; `vigil serve` with VIGIL_WORKER=false does not). */
  worker?: boolean;
  staticFiles?: Map<string, StaticFile>;
  /** Rate-limit buckets; from REDIS_URL (shared) or memory by default. */
  rateLimitStore?: RateLimitStore;
  /** Bucket sizes instead of the defaults (benchmarks, tests). */
  rateLimitPolicies?: Partial<RateLimitPolicies>;
  /** Leave out the identity module's routes (tests that mount their own identity doubles). */
  withoutIdentityRoutes?: boolean;
  /** Extra routes, e.g. test-only routes exercising the pipeline. */
  extraRoutes?: AnyRouteDefinition[];
  /** DNS for webhook receivers (tests simulate private and rebinding names). */
  webhookResolveHost?: ResolveHost;
};

/** Job handlers of every module, by kind, and the recurring jobs. Modules add theirs here as they land. */
export function backgroundJobs(dependencies: {
  config: Config;
  database: Database;
  masterKey: Buffer;
  clock: Clock;
  logger: Logger;
  identity: Identity;
}): {
  handlers: JobHandlers;
  schedules: RecurringJob[];
} {
  return {
    handlers: {
      [BACKUP_SCHEDULED_JOB_KIND]: createScheduledBackupJobHandler({ ...dependencies, log: dependencies.logger }),
      [SESSION_MAINTENANCE_JOB_KIND]: createSessionMaintenanceJobHandler({
        ...dependencies.identity.sessions.dependencies,
        log: dependencies.logger,
      }),
      [WEBHOOK_PURGE_JOB_KIND]: createWebhookPurgeJobHandler(dependencies),
      [JOB_PURGE_JOB_KIND]: createJobPurgeJobHandler(dependencies),
      [SUPPORT_ACCESS_EXPIRY_JOB_KIND]: createSupportAccessExpiryJobHandler({
        ...dependencies,
        log: dependencies.logger,
      }),
    },
    schedules: [
      ...(dependencies.config.backup.intervalHours > 0
        ? [{ ...DAILY_BACKUP_SCHEDULE, everyMs: dependencies.config.backup.intervalHours * 3_600_000 }]
        : []),
      SESSION_MAINTENANCE_SCHEDULE,
      WEBHOOK_PURGE_SCHEDULE,
      SUPPORT_ACCESS_EXPIRY_SCHEDULE,
      JOB_PURGE_SCHEDULE,
    ],
  };
}

/** The composition root: wires config, database, logger, routes and worker into one service. */
export async function createVigil(options: VigilOptions): Promise<Vigil> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = createLogger({
    level: config.logLevel,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const masterKey = resolveMasterKey(config, logger);
  const ownsDatabase = !options.database;
  const database = options.database ?? (await openDatabase(config.database, { migrate: true })).database;

  try {
    if (config.demoSeed && ownsDatabase) {
      const seeded = await seedDemoOrganisation({ database, clock });
      if (seeded.created)
        logger.info({ orgId: seeded.orgId, demoAccount: DEMO_ACCOUNT.email }, 'demo organisation seeded');
    }
    const keyring = createKeyring({ database, masterKey });
    // Fail at start, not at the first secret, when the master key does not match the data keys.
    await keyring.activeVersion();
    const rateLimiter = createRateLimiter({
      store:
        options.rateLimitStore ??
        (config.redisUrl ? createRedisRateLimitStore({ url: config.redisUrl }) : createMemoryRateLimitStore()),
      now: () => clock.now().getTime(),
      log: logger,
      ...(options.rateLimitPolicies ? { policies: options.rateLimitPolicies } : {}),
    });
    const metrics = createMetrics({ collectProcessMetrics: config.profile !== 'test' });
    const runWorker = options.worker ?? config.inProcessWorker;
    const identity = createIdentity({ database, keyring, clock, config, log: logger });
    // Session-state caching starts once this process hears the database's change notifications.
    await identity.sessions.start();
    // Organisation membership changes drop cached authentication state at once (this process;
    // other processes hear the database's change notifications).
    const accessChanged: AccessChanged = (change) => {
      if (change.orgId)
        identity.sessions.invalidate({ orgId: change.orgId, ...(change.userId ? { userId: change.userId } : {}) });
      else if (change.userId) identity.sessions.invalidate({ userId: change.userId });
    };
    const webhooks = createWebhooks({
      config,
      database,
      keyring,
      clock,
      log: logger,
      ...(options.webhookResolveHost ? { resolveHost: options.webhookResolveHost } : {}),
    });
    const routes: AnyRouteDefinition[] = [];
    routes.push(
      ...systemRoutes({
        config,
        database,
        metrics,
        clock,
        rateLimitStore: rateLimiter.store,
        startedAt: clock.now(),
        inProcessWorker: runWorker,
        routes: () => routes,
      }),
      securityTxtRoute({ config, clock }),
      ...(options.withoutIdentityRoutes ? [] : identity.routes),
      ...organisationRoutes({
        database,
        clock,
        mailer: identity.mailer,
        publicUrl: config.publicUrl ?? `http://localhost:${config.port}`,
        log: logger,
        requireStepUp: identity.requireStepUp,
        accessChanged,
        revokeOrganisationGrants: async () => {},
      }),
      ...adminRoutes({
        clock,
        requireStepUp: identity.requireStepUp,
        revokeAllSessions: identity.sessions.revokeAllSessions,
        accessChanged,
      }),
      ...supportAccessRoutes({ database, clock, requireStepUp: identity.requireStepUp }),
      ...dealRoutes(),
      ...auditRoutes(),
      ...webhooks.routes,
      ...(options.extraRoutes ?? []),
      ...webAppRoutes(options.staticFiles ?? loadStaticFiles()),
    );
    const app = createHttpServer({
      config,
      database,
      logger,
      metrics,
      authenticate: options.authenticate ?? identity.sessions.authenticate,
      routes,
      clock,
      rateLimiter,
      recordAudit: (transaction, record) => appendAuditEvent(transactionQuery(transaction), record),
    });
    await app.ready();
    const jobs = backgroundJobs({ config, database, masterKey, clock, logger, identity });
    const worker = runWorker ? createJobWorker({ database, clock, log: logger, handlers: jobs.handlers }) : null;
    let recurring: { stop(): void } | null = null;

    let closed = false;
    let redirectServer: Server | null = null;
    return {
      config,
      app,
      database,
      logger,
      clock,
      worker,
      keyring,
      routes,
      identity,
      webhooks,
      async listen() {
        const address = await app.listen({ port: config.port, host: config.host });
        if (config.tls && config.httpRedirectPort !== null) {
          const httpsPort = (app.server.address() as AddressInfo).port;
          redirectServer = createHttpsRedirectServer({ httpsPort });
          const server = redirectServer;
          await new Promise<void>((resolve) => server.listen(config.httpRedirectPort ?? 0, config.host, resolve));
        }
        worker?.start({ pollIntervalMs: 1000 });
        if (worker) recurring = startRecurringJobs({ database, clock, schedules: jobs.schedules, log: logger });
        if (worker) webhooks.startDeliveryLanes();
        return address;
      },
      reloadTls() {
        if (!config.tls) return;
        (app.server as unknown as TlsServer).setSecureContext(readTlsFiles(config.tls));
        logger.info('TLS certificate reloaded');
      },
      async close() {
        if (closed) return;
        closed = true;
        const redirect = redirectServer;
        if (redirect) await new Promise<void>((resolve) => redirect.close(() => resolve()));
        recurring?.stop();
        await worker?.stop();
        await webhooks.close();
        await identity.flush();
        await identity.sessions.stop();
        await app.close();
        await rateLimiter.store.close();
        if (ownsDatabase) await database.close();
        logger.flush?.();
      },
    };
  } catch (error) {
    if (ownsDatabase) await database.close();
    throw error;
  }
}
