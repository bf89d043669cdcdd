import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { Config } from '../../src/server/config.ts';
import type { Database, MigrationConnection } from '../../src/server/platform/db/database.ts';
import { openDatabase } from '../../src/server/platform/db/open-database.ts';
import { openPostgresMigrationConnection } from '../../src/server/platform/db/open-postgres.ts';

/**
 * Which database this test project runs against: vitest's `pglite` project sets
 * VIGIL_TEST_DB=pglite, the `postgres` project VIGIL_TEST_DB=postgres with DATABASE_URL pointing
 * at a server where the user may create databases and roles.
 */
export const testDatabaseKind: 'pglite' | 'postgres' = process.env.VIGIL_TEST_DB === 'postgres' ? 'postgres' : 'pglite';

export const RUNTIME_TEST_LOGIN = 'vigil_app_test';

export type TestDatabase = {
  database: Database;
  databaseConfig: Config['database'];
  /** An owner-level connection, as operator commands (rotation, audit verify) get one. */
  ownerConnection(): Promise<MigrationConnection>;
  /** Runs SQL as a superuser/owner, bypassing RLS: for arranging and inspecting only. */
  adminQuery<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
};

function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('VIGIL_TEST_DB=postgres needs DATABASE_URL');
  return url;
}

function withDatabaseName(url: string, name: string, user?: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  if (user) {
    parsed.username = user;
    parsed.password = '';
  }
  return parsed.toString();
}

let snapshot: Promise<Blob | undefined> | undefined;

/**
 * The migrated, empty PGlite data directory the pglite project's global setup dumped
 * (test/helpers/pglite-snapshot.global-setup.ts), so each test file copies it instead of running
 * initdb and every migration again. Without it (benches, a single file run by hand with another
 * config) databases are created from scratch.
 */
function pgliteSnapshot(): Promise<Blob | undefined> {
  const file = process.env.VIGIL_TEST_PGLITE_SNAPSHOT;
  snapshot ??= file ? readFile(file).then((bytes) => new Blob([bytes])) : Promise.resolve(undefined);
  return snapshot;
}

/** A fresh, migrated, empty database: in-memory PGlite, or a new PostgreSQL database. */
export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  if (testDatabaseKind === 'pglite') {
    const databaseConfig = { kind: 'pglite', dataDir: null } as const;
    // Migrating still runs: against the snapshot it only checks every migration is applied.
    const { database } = await openDatabase(databaseConfig, { migrate: true, pgliteSnapshot: await pgliteSnapshot() });
    return {
      database,
      databaseConfig,
      // PGlite is one session: step out of the runtime role for this statement and back in.
      async adminQuery<Row>(text: string, params: unknown[] = []) {
        await database.query('RESET ROLE');
        try {
          return await database.query<Row>(text, params);
        } finally {
          await database.query('SET ROLE vigil_runtime');
        }
      },
      async ownerConnection() {
        const asOwner = async <T>(work: () => Promise<T>) => {
          await database.query('RESET ROLE');
          try {
            return await work();
          } finally {
            await database.query('SET ROLE vigil_runtime');
          }
        };
        const query = <Row>(text: string, params: unknown[] = []) => asOwner(() => database.query<Row>(text, params));
        return {
          kind: 'pglite',
          query,
          inTransaction: (work) =>
            asOwner(async () => {
              await database.query('BEGIN');
              try {
                const result = await work((text, params) => database.query(text, params));
                await database.query('COMMIT');
                return result;
              } catch (error) {
                await database.query('ROLLBACK');
                throw error;
              }
            }),
          execScriptInTransaction: () => Promise.reject(new Error('not supported in tests')),
          withMigrationLock: (work) => work(),
          close: async () => {},
        } satisfies MigrationConnection;
      },
      close: () => database.close(),
    };
  }
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const ownerUrl = withDatabaseName(adminUrl(), name);
  const databaseConfig = {
    kind: 'postgres',
    url: withDatabaseName(adminUrl(), name, RUNTIME_TEST_LOGIN),
    migrationUrl: ownerUrl,
    poolSize: options.poolSize ?? 4,
  } as const;
  const { database } = await openDatabase(databaseConfig, { migrate: true });
  const ownerPool = new pg.Pool({ connectionString: ownerUrl, max: 2 });
  // DROP DATABASE ... WITH (FORCE) below may terminate a connection that is still closing.
  ownerPool.on('error', () => {});
  return {
    database,
    databaseConfig,
    async adminQuery<Row>(text: string, params: unknown[] = []) {
      return (await ownerPool.query(text, params)).rows as Row[];
    },
    ownerConnection: () => openPostgresMigrationConnection(ownerUrl),
    async close() {
      await database.close();
      await ownerPool.end();
      const cleanup = new pg.Client({ connectionString: adminUrl() });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
