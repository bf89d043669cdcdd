import type { Config } from './config.ts';
import { backgroundJobs } from './main.ts';
import { createIdentity } from './modules/identity/create-identity.ts';
import { createKeyring } from './platform/crypto/keyring.ts';
import { resolveMasterKey } from './platform/crypto/resolve-master-key.ts';
import { startRecurringJobs } from './platform/jobs/recurring-jobs.ts';
import { systemClock } from './platform/clock.ts';
import { readMigrationState } from './platform/db/migrations.ts';
import { openDatabase } from './platform/db/open-database.ts';
import { createJobWorker } from './platform/jobs/job-worker.ts';
import { createLogger } from './platform/log/create-logger.ts';
import { createWebhooks } from './modules/webhooks/create-webhooks.ts';

/** A standalone worker process (`vigil worker`): database + job worker, no HTTP. */
export async function createVigilWorker(options: { config: Config }) {
  const logger = createLogger({ level: options.config.logLevel, name: 'vigil-worker' });
  const { database } = await openDatabase(options.config.database, { migrate: false });
  const state = await readMigrationState(database);
  if (!state.current) {
    await database.close();
    throw new Error(`database has ${state.pending.length} pending migration(s); run \`vigil migrate\` first`);
  }
  const masterKey = resolveMasterKey(options.config, logger);
  const keyring = createKeyring({ database, masterKey });
  const identity = createIdentity({ database, keyring, clock: systemClock, config: options.config, log: logger });
  const jobs = backgroundJobs({ config: options.config, database, masterKey, clock: systemClock, logger, identity });
  const worker = createJobWorker({ database, clock: systemClock, log: logger, handlers: jobs.handlers });
  const webhooks = createWebhooks({ config: options.config, database, keyring, clock: systemClock, log: logger });
  let recurring: { stop(): void } | null = null;
  return {
    start: () => {
      worker.start({ pollIntervalMs: 1000 });
      recurring = startRecurringJobs({ database, clock: systemClock, schedules: jobs.schedules, log: logger });
      webhooks.startDeliveryLanes();
    },
    async close() {
      recurring?.stop();
      await worker.stop();
      await webhooks.close();
      await database.close();
    },
  };
}
