import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlQuery } from '../../platform/db/query-rows.ts';
import { BackupError } from './backup-error.ts';
import { pgliteQuery } from './dump-pglite-payload.ts';
import { listUserTables, quoteIdentifier } from './read-database-statistics.ts';

export type TargetContents = {
  /** Nothing a restore could overwrite: no user tables (hence no rows and no migration ledger). */
  empty: boolean;
  description: string;
};

/**
 * What is in a restore target. Non-empty means any user table — with rows, or the
 * `vigil_migrations` ledger, or even an empty table a restore would collide with.
 */
export async function inspectDatabaseContents(query: SqlQuery): Promise<TargetContents> {
  const tables = await listUserTables(query);
  if (tables.length === 0) return { empty: true, description: 'no tables' };
  const withRows: string[] = [];
  for (const table of tables) {
    const [row] = await query<{ present: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}) AS present`,
    );
    if (row?.present) withRows.push(table.name);
  }
  const ledger = tables.some((table) => table.schema === 'public' && table.name === 'vigil_migrations');
  const parts = [
    `${tables.length} table(s)`,
    ...(ledger ? ['a vigil_migrations ledger'] : []),
    withRows.length > 0 ? `rows in ${withRows.slice(0, 5).join(', ')}${withRows.length > 5 ? ', …' : ''}` : 'no rows',
  ];
  return { empty: false, description: parts.join(', ') };
}

export function refuseNonEmptyTarget(where: string, contents: TargetContents): never {
  throw new BackupError(
    'target-not-empty',
    `refusing to restore into ${where}: it is not empty (${contents.description}). ` +
      'Restore into an empty database, or pass --force to replace its contents.',
  );
}

/** The same for an embedded data directory, which may also not exist yet (empty). */
export async function inspectPgliteDirectory(dataDir: string): Promise<TargetContents> {
  if (!existsSync(dataDir) || readdirSync(dataDir).length === 0) return { empty: true, description: 'no files' };
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    return { empty: false, description: 'files that are not an embedded database' };
  }
  const client = await PGlite.create(dataDir);
  try {
    return await inspectDatabaseContents(pgliteQuery(client));
  } finally {
    await client.close();
  }
}
