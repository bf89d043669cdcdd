import { type ExtractTablesWithRelations, type SQL, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { schema } from './schema.ts';

export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = PgTransaction<PgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;

export type DatabaseKind = 'pglite' | 'postgres';

/** Transaction-local settings by name, e.g. `{ 'app.org_id': '…' }`. */
export type TransactionSettings = Readonly<Record<`app.${string}`, string>>;

/** The settings' names, each checked to be `app.<lowercase word>` (they are spliced into SQL). */
export function settingNames(settings: TransactionSettings): (keyof TransactionSettings)[] {
  const names = Object.keys(settings) as (keyof TransactionSettings)[];
  for (const name of names) if (!/^app\.[a-z_]+$/.test(name)) throw new Error(`invalid setting name ${name}`);
  return names;
}

/**
 * `set_config(name, value, true)` for each setting, as parameterised SQL fragments (the values
 * are bound, never spliced), for a statement inside an open transaction.
 */
export function settingAssignments(settings: TransactionSettings): SQL[] {
  return settingNames(settings).map((name) => sql`set_config(${name}, ${settings[name] ?? ''}, true)`);
}

/**
 * A connected database as the rest of Vigil sees it. `orm` runs as the runtime role, which
 * row-level security applies to; raw `query` is for infrastructure (health checks, status).
 */
export type Database = {
  kind: DatabaseKind;
  orm: Orm;
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Runs `work` in a transaction whose settings (`app.org_id`, …) are set transaction-locally
   * before it starts, as `set_config(name, value, true)` does. On PostgreSQL the BEGIN and the
   * settings travel as one round trip. Only tenant-transaction.ts calls this.
   */
  transactionWith<T>(settings: TransactionSettings, work: (transaction: Transaction) => Promise<T>): Promise<T>;
  /**
   * Subscribes to a NOTIFY channel (cache invalidation across processes). `connected(false)` says
   * notifications may have been missed (connection lost; it reconnects by itself), `connected(true)`
   * that they are flowing again. Resolves once subscribed, to a function that unsubscribes.
   */
  listen?(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

export type NotificationHandlers = { notification(payload: string): void; connected(up: boolean): void };

/**
 * Owner-level access used only by the migrator: executes a multi-statement script inside one
 * transaction, and runs single queries.
 */
export type MigrationConnection = {
  kind: DatabaseKind;
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  execScriptInTransaction(script: string, after: (query: MigrationConnection['query']) => Promise<void>): Promise<void>;
  /** Runs `work` in one transaction on this connection. */
  inTransaction<T>(work: (query: MigrationConnection['query']) => Promise<T>): Promise<T>;
  /** Serialises concurrent migrators (several replicas starting at once). */
  withMigrationLock<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
};
