import { drizzle, NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import type { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import {
  type Database,
  type MigrationConnection,
  type NotificationHandlers,
  type Orm,
  settingNames,
  type Transaction,
  type TransactionSettings,
} from './database.ts';
import { schema } from './schema.ts';

// timestamptz and date columns are parsed by drizzle; keep bigint (int8) as text by default and
// let drizzle's column mode decide.

/** Opens the runtime pool (DATABASE_URL). */
export function openPostgres(options: { url: string; poolSize: number; applicationName?: string }): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName ?? 'vigil',
    // A statement stuck for minutes is a bug or an attack, not a workload.
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: 60_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const orm = drizzle(pool, { schema }) as unknown as Orm;
  const beginTransaction = transactionStarter(orm);
  let closed = false;
  return {
    kind: 'postgres',
    orm,
    async query<Row>(text: string, params: unknown[] = []) {
      const result = await pool.query(text, params);
      return result.rows as Row[];
    },
    async transactionWith(settings, work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        const transaction = await beginTransaction(client, settings);
        const result = await work(transaction);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // After a failed COMMIT there is no transaction left and ROLLBACK only warns; a ROLLBACK
        // that fails means the connection is unusable, so the pool must not hand it out again.
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    listen: (channel, handlers) => listenOnPostgres(options, channel, handlers),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/**
 * Drizzle's own `transaction()` sends BEGIN, then the settings, as two round trips. This sends
 * them as one simple-protocol query (`BEGIN; SELECT set_config(…)`) and hands the work a drizzle
 * transaction over the same pooled client. The simple protocol takes no parameters, so the
 * values go in as escaped literals (pg's escapeLiteral: standard-conforming, doubles quotes and
 * backslashes); the names are checked against a fixed shape (settingNames).
 */
function transactionStarter(orm: Orm) {
  const internals = orm as unknown as {
    dialect: PgDialect;
    _: { schema: unknown; fullSchema: Record<string, unknown>; tableNamesMap: Record<string, string> };
  };
  const dialect = internals.dialect;
  const relational = {
    schema: internals._.schema,
    fullSchema: internals._.fullSchema,
    tableNamesMap: internals._.tableNamesMap,
  } as ConstructorParameters<typeof NodePgSession>[2];
  return async (client: pg.PoolClient, settings: TransactionSettings): Promise<Transaction> => {
    const assignments = settingNames(settings).map(
      (name) => `set_config('${name}', ${pg.escapeLiteral(settings[name] ?? '')}, true)`,
    );
    await client.query(assignments.length > 0 ? `BEGIN; SELECT ${assignments.join(', ')}` : 'BEGIN');
    const session = new NodePgSession(client, dialect, relational);
    return new NodePgTransaction(dialect, session, relational) as unknown as Transaction;
  };
}

/** Waits between reconnection attempts of a lost LISTEN connection. */
const LISTEN_RECONNECT_MS = 1000;

/**
 * LISTEN needs a connection of its own (a pooled one would be handed to other queries). When it
 * drops, `connected(false)` tells the subscriber it may miss notifications, and it reconnects.
 */
async function listenOnPostgres(
  options: { url: string; applicationName?: string },
  channel: string,
  handlers: NotificationHandlers,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({
      connectionString: options.url,
      application_name: `${options.applicationName ?? 'vigil'}-listen`,
    });
    const lost = () => {
      if (client !== next) return;
      client = null;
      handlers.connected(false);
      next.removeAllListeners('notification');
      void next.end().catch(() => {});
      if (!stopped) retry = setTimeout(() => void connect().catch(lostAtStart), LISTEN_RECONNECT_MS).unref();
    };
    next.on('error', lost);
    next.on('end', lost);
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.notification(message.payload);
    });
    client = next;
    await next.connect();
    await next.query(`LISTEN ${channel}`);
    if (stopped) {
      client = null;
      await next.end();
      return;
    }
    handlers.connected(true);
  };
  const lostAtStart = () => {
    client = null;
    if (!stopped) retry = setTimeout(() => void connect().catch(lostAtStart), LISTEN_RECONNECT_MS).unref();
  };

  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const current = client;
    client = null;
    handlers.connected(false);
    if (current) await current.end().catch(() => {});
  };
}

// Arbitrary constant: the advisory lock key every Vigil migrator takes.
const MIGRATION_LOCK_KEY = 7_262_917_001;

/** Opens one owner connection (DATABASE_MIGRATION_URL) for the migrator. */
export async function openPostgresMigrationConnection(url: string): Promise<MigrationConnection> {
  const client = new pg.Client({ connectionString: url, application_name: 'vigil-migrate' });
  client.on('error', () => {});
  await client.connect();
  const query = async <Row>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as Row[];
  return {
    kind: 'postgres',
    query,
    async execScriptInTransaction(script, after) {
      await client.query('BEGIN');
      try {
        await client.query(script);
        await after(query);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    },
    async inTransaction(work) {
      await client.query('BEGIN');
      try {
        const result = await work(query);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    },
    async withMigrationLock(work) {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    },
    async close() {
      await client.end();
    },
  };
}
