import type { SqlQuery } from '../../platform/db/query-rows.ts';
import { BackupError } from './backup-error.ts';
import type { AuditChainHead, TableCount } from './backup-format.ts';

/** What a backup's manifest records about its database, and what a restore is checked against. */
export type DatabaseStatistics = {
  serverVersion: string;
  migrations: string[];
  tables: TableCount[];
  auditChains: AuditChainHead[];
};

export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * A backup must contain every organisation's rows. Tenant tables FORCE row-level security, so
 * an owner role without BYPASSRLS would dump (and count) nothing of them: refuse up front.
 */
export async function assertReadsEveryRow(query: SqlQuery): Promise<void> {
  const [role] = await query<{ rolname: string; privileged: boolean }>(
    'SELECT rolname, (rolsuper OR rolbypassrls) AS privileged FROM pg_roles WHERE rolname = current_user',
  );
  if (!role?.privileged) {
    const name = role?.rolname ?? 'current_user';
    throw new BackupError(
      'insufficient-privilege',
      `the owner role "${name}" (DATABASE_MIGRATION_URL) needs BYPASSRLS to back up or restore every organisation's ` +
        `rows past row-level security: run \`ALTER ROLE ${quoteIdentifier(name)} BYPASSRLS\` as a superuser`,
    );
  }
  // Should row security ever apply after all, fail loudly instead of silently reading fewer rows.
  await query('SET row_security = off');
}

/** User tables (every non-system schema), discovered from the catalog rather than listed. */
export async function listUserTables(query: SqlQuery): Promise<{ schema: string; name: string }[]> {
  const rows = await query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`,
  );
  return rows.map((row) => ({ schema: row.schema, name: row.name }));
}

async function tableExists(query: SqlQuery, name: string): Promise<boolean> {
  const [row] = await query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
  return row?.present ?? false;
}

/**
 * Reads server version, applied migrations, every table's row count and the head of every audit
 * chain. Run it inside the transaction (snapshot) the payload is taken from, so the numbers
 * describe exactly the bytes in the backup.
 */
export async function readDatabaseStatistics(query: SqlQuery): Promise<DatabaseStatistics> {
  const [version] = await query<{ server_version: string }>('SHOW server_version');
  const migrations = (await tableExists(query, 'public.vigil_migrations'))
    ? (await query<{ name: string }>('SELECT name FROM public.vigil_migrations ORDER BY name COLLATE "C"')).map(
        (row) => row.name,
      )
    : [];
  const tables: TableCount[] = [];
  for (const table of await listUserTables(query)) {
    const [row] = await query<{ rows: string }>(
      `SELECT count(*)::text AS rows FROM ${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`,
    );
    tables.push({ ...table, rows: Number(row?.rows ?? 0) });
  }
  const auditChains = (await tableExists(query, 'public.audit_events')) ? await readAuditChainHeads(query) : [];
  return { serverVersion: version?.server_version ?? 'unknown', migrations, tables, auditChains };
}

async function readAuditChainHeads(query: SqlQuery): Promise<AuditChainHead[]> {
  const rows = await query<{ org_id: string | null; events: string; max_seq: string; last_hash: string }>(
    `SELECT counts.org_id::text AS org_id, counts.events::text AS events, heads.seq::text AS max_seq, heads.hash AS last_hash
       FROM (SELECT org_id, count(*) AS events FROM public.audit_events GROUP BY org_id) counts
       JOIN (SELECT DISTINCT ON (org_id) org_id, seq, hash FROM public.audit_events ORDER BY org_id, seq DESC) heads
         ON heads.org_id IS NOT DISTINCT FROM counts.org_id
      ORDER BY counts.org_id NULLS FIRST`,
  );
  return rows.map((row) => ({
    orgId: row.org_id,
    events: Number(row.events),
    maxSeq: Number(row.max_seq),
    lastHash: row.last_hash,
  }));
}

/** Every way `actual` differs from what the manifest recorded; empty when they agree. */
export function compareDatabaseStatistics(
  expected: Pick<DatabaseStatistics, 'migrations' | 'tables' | 'auditChains'>,
  actual: Pick<DatabaseStatistics, 'migrations' | 'tables' | 'auditChains'>,
): string[] {
  const differences: string[] = [];
  if (expected.migrations.join('\n') !== actual.migrations.join('\n')) {
    differences.push(
      `applied migrations differ: backup [${expected.migrations.join(', ')}], restored [${actual.migrations.join(', ')}]`,
    );
  }
  const key = (table: { schema: string; name: string }) => `${table.schema}.${table.name}`;
  const actualTables = new Map(actual.tables.map((table) => [key(table), table.rows]));
  for (const table of expected.tables) {
    const rows = actualTables.get(key(table));
    if (rows === undefined) differences.push(`table ${key(table)} is missing`);
    else if (rows !== table.rows) differences.push(`table ${key(table)} has ${rows} rows, the backup ${table.rows}`);
    actualTables.delete(key(table));
  }
  for (const name of actualTables.keys()) differences.push(`table ${name} is not in the backup`);
  const chainName = (orgId: string | null) =>
    orgId === null ? 'platform audit chain' : `audit chain of organisation ${orgId}`;
  const actualChains = new Map(actual.auditChains.map((chain) => [chain.orgId, chain]));
  for (const chain of expected.auditChains) {
    const found = actualChains.get(chain.orgId);
    if (!found) differences.push(`${chainName(chain.orgId)} is missing`);
    else if (found.events !== chain.events || found.maxSeq !== chain.maxSeq || found.lastHash !== chain.lastHash) {
      differences.push(
        `${chainName(chain.orgId)} ends at seq ${found.maxSeq} (${found.events} events, hash ${found.lastHash.slice(0, 12)}…), ` +
          `the backup at seq ${chain.maxSeq} (${chain.events} events, hash ${chain.lastHash.slice(0, 12)}…)`,
      );
    }
    actualChains.delete(chain.orgId);
  }
  for (const orgId of actualChains.keys()) differences.push(`${chainName(orgId)} is not in the backup`);
  return differences;
}
