// better-auth 1.x for bench/auth.ts: email + password, its default session handling (every
// get-session reads the database; no cookie cache) and the JWT plugin, whose GET /api/auth/token
// mints an access token from the session — the nearest thing it has to Vigil's refresh. Same
// database kind as Vigil's run: PostgreSQL (BENCH_BETTER_AUTH_URL, pg.Pool, as better-auth's docs
// show) or an in-memory PGlite through Kysely's PostgresDialect over a one-connection pool shim.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { betterAuth, type BetterAuthOptions } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { jwt } from 'better-auth/plugins';
import { PostgresDialect } from 'kysely';
import pg from 'pg';

/** PGlite is one session: hand it to one Kysely "connection" at a time (transactions stay whole). */
function pgliteAsPool(client: PGlite) {
  let queue: Promise<void> = Promise.resolve();
  const connection = {
    async query(text: string, params: unknown[] = []) {
      const result = await client.query<Record<string, unknown>>(text, params);
      return {
        rows: result.rows,
        rowCount: result.affectedRows ?? result.rows.length,
        command: (/^\s*(\w+)/.exec(text)?.[1] ?? 'SELECT').toUpperCase(),
      };
    },
  };
  return {
    async connect() {
      let release!: () => void;
      const previous = queue;
      queue = new Promise<void>((resolve) => (release = resolve));
      await previous;
      return { ...connection, release: () => release() };
    },
    async end() {
      await client.close();
    },
  };
}

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const postgresUrl = process.env.BENCH_BETTER_AUTH_URL;
const database = postgresUrl
  ? new pg.Pool({ connectionString: postgresUrl, max: Number(process.env.BENCH_POOL_SIZE ?? 10) })
  : {
      dialect: new PostgresDialect({ pool: pgliteAsPool(await PGlite.create()) as unknown as pg.Pool }),
      type: 'postgres' as const,
    };
const options = {
  baseURL,
  secret: 'bench-secret-bench-secret-bench-secret-0123456789',
  database,
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
  plugins: [jwt()],
  logger: { disabled: true },
  telemetry: { enabled: false },
} satisfies BetterAuthOptions;
const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);
server.on('request', toNodeHandler(auth));
process.stdout.write(`READY ${baseURL}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
