// Vigil's full pipeline (request id, security headers, validation, authorisation, metrics,
// JSON logging to a sink) on the public /healthz route, on an in-memory PGlite.
import pino from 'pino';
import { loadConfig } from '../../src/server/config.ts';
import { createVigil } from '../../src/server/main.ts';
import { openDatabase } from '../../src/server/platform/db/open-database.ts';

const config = loadConfig({
  VIGIL_PROFILE: 'development',
  PORT: '0',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
  VIGIL_DEMO_SEED: 'false',
});
const { database } = await openDatabase({ kind: 'pglite', dataDir: null }, { migrate: true });
const vigil = await createVigil({
  config,
  database,
  worker: false,
  // Logs are written and serialised as in production, into a sink instead of a terminal.
  logDestination: pino.destination({ dest: '/dev/null', sync: false }),
});
const address = await vigil.listen();
process.stdout.write(`READY ${address}\n`);
process.on(
  'SIGTERM',
  () =>
    void vigil
      .close()
      .then(() => database.close())
      .then(() => process.exit(0)),
);
