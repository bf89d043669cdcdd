import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database, MigrationConnection } from './database.ts';

export const MIGRATIONS_DIRECTORY = fileURLToPath(new URL('../../../../migrations/', import.meta.url));

export type MigrationFile = { name: string; checksum: string; sql: string };
export type AppliedMigration = { name: string; checksum: string; appliedAt: Date };
export type MigrationState = { applied: AppliedMigration[]; pending: string[]; current: boolean };

const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;

/** Reads `migrations/NNNN_what.sql` in order. Forward-only: files are never edited once applied. */
export function readMigrationFiles(directory = MIGRATIONS_DIRECTORY): MigrationFile[] {
  return readdirSync(directory)
    .filter((name) => MIGRATION_NAME.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(`${directory}/${name}`, 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS vigil_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies every pending migration, each in its own transaction together with its ledger row,
 * so a failing migration leaves nothing half-applied. Refuses to run if an applied migration's
 * file was edited since. Returns the names applied now.
 */
export async function applyMigrations(
  connection: MigrationConnection,
  options: { files?: MigrationFile[]; runtimeLogin?: string | null } = {},
): Promise<string[]> {
  const files = options.files ?? readMigrationFiles();
  return connection.withMigrationLock(async () => {
    await connection.query(CREATE_LEDGER);
    const applied = await connection.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM vigil_migrations',
    );
    const appliedByName = new Map(applied.map((row) => [row.name, row.checksum]));
    for (const file of files) {
      const checksum = appliedByName.get(file.name);
      if (checksum && checksum !== file.checksum) {
        throw new MigrationError(`migration ${file.name} was edited after it was applied; add a new migration instead`);
      }
    }
    const appliedNow: string[] = [];
    for (const file of files) {
      if (appliedByName.has(file.name)) continue;
      await connection.execScriptInTransaction(file.sql, async (query) => {
        await query('INSERT INTO vigil_migrations (name, checksum) VALUES ($1, $2)', [file.name, file.checksum]);
      });
      appliedNow.push(file.name);
    }
    // The runtime role may read the ledger (for /readyz) and nothing else of it.
    await connection.query('GRANT SELECT ON vigil_migrations TO vigil_runtime');
    if (options.runtimeLogin) await ensureRuntimeLogin(connection, options.runtimeLogin);
    return appliedNow;
  });
}

function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Makes the runtime login role (the user of DATABASE_URL) a member of `vigil_runtime`, creating
 * it when the migrator is allowed to. Does nothing when the runtime and owner are the same user;
 * the server then refuses to start if that user is privileged.
 */
async function ensureRuntimeLogin(connection: MigrationConnection, runtimeUrl: string): Promise<void> {
  const url = new URL(runtimeUrl);
  const login = decodeURIComponent(url.username);
  const [current] = await connection.query<{ user: string; can_create: boolean }>(
    'SELECT current_user AS user, (rolsuper OR rolcreaterole) AS can_create FROM pg_roles WHERE rolname = current_user',
  );
  if (!login || !current || login === current.user) return;
  const [existing] = await connection.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = $1', [
    login,
  ]);
  if (!existing) {
    if (!current.can_create) {
      throw new MigrationError(`runtime role ${login} does not exist and ${current.user} may not create roles`);
    }
    const password = url.password ? ` PASSWORD ${quoteLiteral(decodeURIComponent(url.password))}` : '';
    try {
      await connection.query(
        `CREATE ROLE ${quoteIdentifier(login)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE${password}`,
      );
    } catch (error) {
      // Another migrator (another database on the same server) created it meanwhile.
      if ((error as { code?: string }).code !== '42710' && (error as { code?: string }).code !== '23505') throw error;
    }
  }
  await connection.query(`GRANT vigil_runtime TO ${quoteIdentifier(login)}`);
}

/** What /readyz and the status page report: applied (from the ledger) and pending (on disk). */
export async function readMigrationState(database: Database, files = readMigrationFiles()): Promise<MigrationState> {
  let rows: { name: string; checksum: string; applied_at: Date | string }[] = [];
  try {
    rows = await database.query('SELECT name, checksum, applied_at FROM vigil_migrations ORDER BY name');
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error; // undefined_table: nothing applied yet
  }
  const applied = rows.map((row) => ({ name: row.name, checksum: row.checksum, appliedAt: new Date(row.applied_at) }));
  const appliedNames = new Set(applied.map((row) => row.name));
  const pending = files.filter((file) => !appliedNames.has(file.name)).map((file) => file.name);
  return { applied, pending, current: pending.length === 0 };
}
