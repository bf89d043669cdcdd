import type { Config } from '../../config.ts';
import type { Database, MigrationConnection } from './database.ts';
import { applyMigrations } from './migrations.ts';
import { openPglite } from './open-pglite.ts';
import { openPostgres, openPostgresMigrationConnection } from './open-postgres.ts';

export class UnsafeDatabaseRoleError extends Error {
  override name = 'UnsafeDatabaseRoleError';
}

/**
 * Opens the database for a Vigil process: migrates first (as the owner) when asked, then returns
 * the runtime connection, which is checked to be unprivileged.
 */
export async function openDatabase(
  databaseConfig: Config['database'],
  options: { migrate: boolean; pgliteSnapshot?: Blob },
): Promise<{ database: Database; migrationsApplied: string[] }> {
  if (databaseConfig.kind === 'pglite') {
    const embedded = await openPglite({
      dataDir: databaseConfig.dataDir,
      ...(options.pgliteSnapshot ? { snapshot: options.pgliteSnapshot } : {}),
    });
    try {
      const migrationsApplied = options.migrate ? await applyMigrations(embedded.migrationConnection) : [];
      await embedded.switchToRuntimeRole();
      return { database: embedded.database, migrationsApplied };
    } catch (error) {
      await embedded.database.close();
      throw error;
    }
  }
  let migrationsApplied: string[] = [];
  if (options.migrate) migrationsApplied = await migratePostgres(databaseConfig.migrationUrl, databaseConfig.url);
  const database = openPostgres({ url: databaseConfig.url, poolSize: databaseConfig.poolSize });
  try {
    await assertUnprivilegedRuntimeRole(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  return { database, migrationsApplied };
}

export async function migratePostgres(migrationUrl: string, runtimeUrl: string): Promise<string[]> {
  const connection = await openPostgresMigrationConnection(migrationUrl);
  try {
    return await applyMigrations(connection, { runtimeLogin: runtimeUrl });
  } finally {
    await connection.close();
  }
}

/**
 * Row-level security only protects tenants if the server's role is subject to it: a superuser,
 * a BYPASSRLS role or a table owner (without FORCE) would see every organisation. Refuse to run.
 */
export async function assertUnprivilegedRuntimeRole(database: Database): Promise<void> {
  const [role] = await database.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
    'SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
  );
  if (!role) throw new UnsafeDatabaseRoleError('cannot read the current database role');
  if (role.rolsuper || role.rolbypassrls) {
    throw new UnsafeDatabaseRoleError(
      `DATABASE_URL connects as "${role.rolname}", which has ${role.rolsuper ? 'SUPERUSER' : 'BYPASSRLS'}. ` +
        'Row-level security would not apply. Connect the server as an unprivileged role (e.g. ' +
        'postgres://vigil_app@host/db) and give the owner role to DATABASE_MIGRATION_URL; the migrator creates ' +
        'the runtime role when it may.',
    );
  }
  const [owned] = await database.query<{ count: string }>(
    `SELECT count(*)::text AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND pg_get_userbyid(c.relowner) = current_user`,
  );
  if (owned && owned.count !== '0') {
    throw new UnsafeDatabaseRoleError(
      `DATABASE_URL's role "${role.rolname}" owns ${owned.count} tables; the runtime role must own none. ` +
        'Run migrations as a separate owner role via DATABASE_MIGRATION_URL.',
    );
  }
}

/**
 * An owner-level connection for operations that must see every organisation at once and are
 * run by an operator, not by a request: migrations, key rotation, audit verification, backups.
 * On PGlite it is the embedded superuser session (the server must not be running on the same
 * data directory); on PostgreSQL, DATABASE_MIGRATION_URL.
 */
export async function openOwnerConnection(databaseConfig: Config['database']): Promise<MigrationConnection> {
  if (databaseConfig.kind === 'pglite') {
    const embedded = await openPglite({ dataDir: databaseConfig.dataDir });
    return embedded.migrationConnection;
  }
  return openPostgresMigrationConnection(databaseConfig.migrationUrl);
}
