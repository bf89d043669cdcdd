// Vigil with identity, the demo organisation and its demo admin, for bench/auth.ts. Rate limits
// are lifted (the bench signs in far faster than any person) — everything else is production code.
import pino from 'pino';
import { loadConfig } from '../../src/server/config.ts';
import { createVigil } from '../../src/server/main.ts';
import { seedDemoOrganisation } from '../../src/server/modules/organisations/seed-demo-organisation.ts';
import { systemClock } from '../../src/server/platform/clock.ts';
import { openDatabase } from '../../src/server/platform/db/open-database.ts';
import type { RateLimitStore } from '../../src/server/platform/rate-limit/rate-limit-store.ts';

const unlimited: RateLimitStore = {
  kind: 'memory',
  take: async () => ({ allowed: true, remaining: 1_000_000, retryAfterMs: 0, resetMs: 0 }),
  healthy: () => true,
  close: async () => {},
};

const config = loadConfig({
  VIGIL_PROFILE: 'development',
  PORT: '0',
  LOG_LEVEL: 'info',
  VIGIL_DEMO_SEED: 'false',
  BCRYPT_COST: '12',
  VIGIL_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
});
const { database } = await openDatabase({ kind: 'pglite', dataDir: null }, { migrate: true });
const { orgId } = await seedDemoOrganisation({ database, clock: systemClock });
const vigil = await createVigil({
  config,
  database,
  worker: false,
  rateLimitStore: unlimited,
  logDestination: pino.destination({ dest: '/dev/null', sync: false }),
});
const address = await vigil.listen();
process.stdout.write(`READY ${address} ${orgId}\n`);
process.on(
  'SIGTERM',
  () =>
    void vigil
      .close()
      .then(() => database.close())
      .then(() => process.exit(0)),
);
