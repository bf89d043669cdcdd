import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { sql } from 'drizzle-orm';
import { type Database, type MigrationConnection, type Orm, settingAssignments } from './database.ts';
import { schema } from './schema.ts';

/**
 * The embedded database. PGlite is one single-user Postgres in this process; its session user
 * is always a superuser, which bypasses row-level security. So after migrating we `SET ROLE` to
 * the unprivileged runtime role: RLS then applies to every query and guards against a
 * forgotten WHERE clause. It cannot guard against SQL injection (an injected `RESET ROLE` would
 * escape it) — that is what PostgreSQL with a separate login role is for. See ARCHITECTURE.md.
 */
export async function openPglite(options: {
  dataDir: string | null;
  /** An in-memory database starts as a copy of this dumped data directory (`dumpDataDir`). */
  snapshot?: Blob;
}): Promise<{
  database: Database;
  migrationConnection: MigrationConnection;
  switchToRuntimeRole(): Promise<void>;
}> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = options.dataDir
    ? await PGlite.create(options.dataDir)
    : await PGlite.create(options.snapshot ? { loadDataDir: options.snapshot } : {});
  const orm = drizzle(client, { schema }) as unknown as Orm;

  const query = async <Row>(text: string, params: unknown[] = []): Promise<Row[]> => {
    const result = await client.query<Row>(text, params);
    return result.rows;
  };

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await client.close();
  };

  const migrationConnection: MigrationConnection = {
    kind: 'pglite',
    query,
    async execScriptInTransaction(script, after) {
      await client.transaction(async (transaction) => {
        await transaction.exec(script);
        await after(
          async <Row>(text: string, params: unknown[] = []) => (await transaction.query<Row>(text, params)).rows,
        );
      });
    },
    inTransaction: (work) =>
      client.transaction((transaction) =>
        work(async <Row>(text: string, params: unknown[] = []) => (await transaction.query<Row>(text, params)).rows),
      ),
    // One process owns a PGlite data directory, so there is no concurrent migrator.
    withMigrationLock: (work) => work(),
    close,
  };

  return {
    database: {
      kind: 'pglite',
      orm,
      query,
      // In-process: a round trip costs no network, so drizzle's transaction plus one statement.
      transactionWith: (settings, work) =>
        orm.transaction(async (transaction) => {
          const assignments = settingAssignments(settings);
          if (assignments.length > 0) await transaction.execute(sql`SELECT ${sql.join(assignments, sql`, `)}`);
          return work(transaction);
        }),
      // One in-process database: notifications are delivered as the notifying transaction commits.
      async listen(channel, handlers) {
        const unsubscribe = await client.listen(channel, (payload) => handlers.notification(payload));
        handlers.connected(true);
        return async () => {
          handlers.connected(false);
          if (!closed) await unsubscribe();
        };
      },
      close,
    },
    migrationConnection,
    async switchToRuntimeRole() {
      await client.exec('SET ROLE vigil_runtime');
    },
  };
}
