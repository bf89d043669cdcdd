import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connectOwner } from './connect-owner.ts';
import type { SqlQuery } from '../../platform/db/query-rows.ts';
import { BackupError } from './backup-error.ts';
import type { BackupManifest } from './backup-format.ts';
import { inspectDatabaseContents, refuseNonEmptyTarget } from './inspect-restore-target.ts';
import { assertReadsEveryRow, quoteIdentifier, quoteLiteral } from './read-database-statistics.ts';
import { spawnPostgresTool } from './spawn-postgres-tool.ts';

/** Marks errors raised by our in-transaction checks, to tell them from errors of the dump's SQL. */
const VERIFY_MARKER = 'vigil-restore-verify:';

/**
 * Restores a pg_dump archive into the database at `url` (owner URL) as ONE transaction:
 *
 *   BEGIN; [wipe, with --force] ; <pg_restore's SQL> ; <checks against the manifest> ; COMMIT;
 *
 * fed to psql. COMMIT is only sent after pg_restore exited cleanly, and the checks raise on any
 * row count or audit head differing from the manifest, so the target ends up either restored
 * and checked, or exactly as it was. Objects get no owner from the archive (`--no-owner`): the
 * restoring owner owns them, as after `vigil migrate`; grants, RLS policies and triggers come
 * from the archive, so `vigil_runtime` keeps exactly its migrated privileges.
 */
export async function restorePostgresPayload(options: {
  url: string;
  archiveFile: string;
  manifest: BackupManifest;
  replace: boolean;
  /** How to name the target in messages. */
  targetName: string;
}): Promise<void> {
  const connection = await connectOwner(options.url);
  let wipe = '';
  try {
    await assertReadsEveryRow(connection.query);
    const contents = await inspectDatabaseContents(connection.query);
    if (!contents.empty && !options.replace) refuseNonEmptyTarget(options.targetName, contents);
    if (options.replace) wipe = await buildWipeSql(connection.query);
    await ensureRuntimeGroupRole(connection.query);
  } finally {
    await connection.close();
  }

  const restore = spawnPostgresTool({
    tool: 'pg_restore',
    args: ['--no-owner', '--file=-', options.archiveFile],
    stdin: 'ignore',
    stdout: 'pipe',
  });
  const psql = spawnPostgresTool({
    tool: 'psql',
    url: options.url,
    args: ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--file=-'],
    stdin: 'pipe',
    stdout: 'ignore',
  });
  const restoreStdout = restore.child.stdout!;
  const checks = buildCheckSql(options.manifest);
  async function* script(): AsyncGenerator<Buffer | string> {
    yield 'BEGIN;\n';
    yield wipe;
    for await (const piece of restoreStdout) yield piece as Buffer;
    // Without a clean exit the script may be cut short: end without COMMIT, psql's
    // disconnect then rolls everything back.
    await restore.exited;
    yield checks;
    yield 'COMMIT;\n';
  }
  const fed = await Promise.allSettled([pipeline(Readable.from(script()), psql.child.stdin!)]);
  const [psqlOutcome] = await Promise.allSettled([psql.exited]);
  if (restore.child.exitCode === null && restore.child.signalCode === null) restore.child.kill('SIGTERM');
  const [restoreOutcome] = await Promise.allSettled([restore.exited]);

  if (psqlOutcome.status === 'rejected') {
    const message = psqlOutcome.reason instanceof Error ? psqlOutcome.reason.message : String(psqlOutcome.reason);
    if (message.includes(VERIFY_MARKER)) {
      throw new BackupError(
        'verification-failed',
        `the restored data does not match the backup manifest, so the restore was rolled back: ${message.slice(message.indexOf(VERIFY_MARKER) + VERIFY_MARKER.length).trim()}`,
      );
    }
    throw new BackupError(
      'tool-failed',
      `the restore failed and was rolled back (${options.targetName} is unchanged): ${message}`,
    );
  }
  if (restoreOutcome.status === 'rejected' || fed[0]?.status === 'rejected') {
    const reason =
      restoreOutcome.status === 'rejected'
        ? restoreOutcome.reason
        : fed[0]?.status === 'rejected'
          ? fed[0].reason
          : null;
    const message = reason instanceof Error ? reason.message : String(reason);
    throw new BackupError(
      'tool-failed',
      `the restore failed and was rolled back (${options.targetName} is unchanged): ${message}`,
    );
  }
}

/**
 * SQL removing everything a restore would collide with: each non-system schema is dropped;
 * `public` is recreated with its previous owner and privileges (PostgreSQL 15 gives it to
 * pg_database_owner with USAGE for PUBLIC; the archive does not recreate it).
 */
async function buildWipeSql(query: SqlQuery): Promise<string> {
  const schemas = await query<{ name: string; owner: string; comment: string | null }>(
    `SELECT nspname AS name, pg_get_userbyid(nspowner) AS owner, obj_description(oid, 'pg_namespace') AS comment
       FROM pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'`,
  );
  const grants = await query<{ grantee: string | null; privilege: string }>(
    `SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type AS privilege
       FROM pg_namespace n, aclexplode(n.nspacl) a
      WHERE n.nspname = 'public' AND a.grantee <> n.nspowner`,
  );
  const publicSchema = schemas.find((schema) => schema.name === 'public');
  const statements = ['SET LOCAL client_min_messages = warning;'];
  for (const schema of schemas) statements.push(`DROP SCHEMA ${quoteIdentifier(schema.name)} CASCADE;`);
  statements.push(`CREATE SCHEMA public AUTHORIZATION ${quoteIdentifier(publicSchema?.owner ?? 'pg_database_owner')};`);
  if (publicSchema?.comment) statements.push(`COMMENT ON SCHEMA public IS ${quoteLiteral(publicSchema.comment)};`);
  const publicGrants = publicSchema ? grants : [{ grantee: null, privilege: 'USAGE' }];
  for (const grant of publicGrants) {
    const grantee = grant.grantee === null ? 'PUBLIC' : quoteIdentifier(grant.grantee);
    statements.push(`GRANT ${grant.privilege} ON SCHEMA public TO ${grantee};`);
  }
  return `${statements.join('\n')}\n`;
}

/**
 * The archive grants privileges to `vigil_runtime`, a cluster-wide role the migrator creates. A
 * restore onto a new server must create it first, exactly as migration 0001 does.
 */
async function ensureRuntimeGroupRole(query: SqlQuery): Promise<void> {
  const [existing] = await query("SELECT 1 FROM pg_roles WHERE rolname = 'vigil_runtime'");
  if (existing) return;
  try {
    await query('CREATE ROLE vigil_runtime NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42710' || code === '23505') return; // created concurrently
    if (code === '42501') {
      throw new BackupError(
        'insufficient-privilege',
        'the role vigil_runtime does not exist on the target server and the owner role may not create it: ' +
          'run `CREATE ROLE vigil_runtime NOLOGIN` as a superuser first',
      );
    }
    throw error;
  }
}

/** In-transaction checks: every table's row count and every audit chain's head, as in the manifest. */
function buildCheckSql(manifest: BackupManifest): string {
  const lines = [
    `CREATE FUNCTION pg_temp.vigil_restore_expect(what text, actual text, expected text) RETURNS void
LANGUAGE plpgsql AS $vigil_check$
BEGIN
  IF actual IS DISTINCT FROM expected THEN
    RAISE EXCEPTION '${VERIFY_MARKER} % is %, the backup manifest says %', what, coalesce(actual, 'missing'), expected;
  END IF;
END
$vigil_check$;`,
  ];
  for (const table of manifest.tables) {
    const name = `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
    lines.push(
      `SELECT pg_temp.vigil_restore_expect(${quoteLiteral(`the row count of ${table.schema}.${table.name}`)}, (SELECT count(*)::text FROM ${name}), ${quoteLiteral(String(table.rows))});`,
    );
  }
  for (const chain of manifest.auditChains) {
    const org = chain.orgId === null ? 'NULL' : `${quoteLiteral(chain.orgId)}::uuid`;
    lines.push(
      `SELECT pg_temp.vigil_restore_expect(${quoteLiteral(`the head of audit chain ${chain.orgId ?? '(platform)'}`)}, ` +
        `(SELECT count(*)::text FROM public.audit_events WHERE org_id IS NOT DISTINCT FROM ${org}) || ':' || ` +
        `(SELECT seq::text || ':' || hash FROM public.audit_events WHERE org_id IS NOT DISTINCT FROM ${org} ORDER BY seq DESC LIMIT 1), ` +
        `${quoteLiteral(`${chain.events}:${chain.maxSeq}:${chain.lastHash}`)});`,
    );
  }
  return `${lines.join('\n')}\n`;
}
