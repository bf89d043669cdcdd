// Test support for the backup suites (not a test file): a migrated source database that can be
// wiped and restored into, on PGlite (a data directory, as `vigil backup` needs) or PostgreSQL
// (a fresh database on the server of DATABASE_URL). VIGIL_TEST_DB picks which, as everywhere.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { DEVELOPMENT_MASTER_KEY } from '../../config.ts';
import { openDatabase } from '../../platform/db/open-database.ts';
import type { SqlQuery } from '../../platform/db/query-rows.ts';
import { GENESIS_HASH, hashAuditEvent } from '../audit/audit-hash.ts';
import type { BackupSource } from './create-backup.ts';
import { RUNTIME_TEST_LOGIN, testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { listUserTables, quoteIdentifier } from './read-database-statistics.ts';
import type { RestoreTarget } from './restore-backup.ts';

export { RUNTIME_TEST_LOGIN, testDatabaseKind as backupTestDatabaseKind };

export const TEST_MASTER_KEY = Buffer.from(DEVELOPMENT_MASTER_KEY, 'base64');

/** A place restores go: an empty PostgreSQL database, or a data directory that does not exist yet. */
export type BackupTestPlace = {
  target: RestoreTarget;
  /** Environment for `runCli` pointing at this place (profile test: the well-known master key). */
  environment: Record<string, string>;
  /** Runs queries as the owner/superuser (RLS bypassed), then disconnects. */
  withOwner<T>(work: (query: SqlQuery) => Promise<T>): Promise<T>;
  /** Makes it empty again: drop and recreate the database / delete the directory. */
  wipe(): Promise<void>;
};

export type BackupTestDatabases = {
  /** Creates a migrated place (the source of a backup). */
  createMigrated(): Promise<BackupTestPlace>;
  /** Creates an empty place (the target of a restore). */
  createEmpty(): Promise<BackupTestPlace>;
  /** For PostgreSQL places: the owner URL of the server, whose role may create databases. */
  adminUrl: string | null;
  temporaryDirectory(): string;
  /** Drops every database and deletes every directory created. */
  cleanup(): Promise<void>;
};

function withDatabaseName(url: string, name: string, user?: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  if (user) {
    parsed.username = user;
    parsed.password = '';
  }
  return parsed.toString();
}

async function adminRun(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** `adminUrl`: DATABASE_URL of the test run (a role that may create databases), for PostgreSQL. */
export function createBackupTestDatabases(options: { adminUrl: string | undefined }): BackupTestDatabases {
  const directories: string[] = [];
  const databases: string[] = [];
  const adminUrl = testDatabaseKind === 'postgres' ? (options.adminUrl ?? null) : null;
  if (testDatabaseKind === 'postgres' && !adminUrl) throw new Error('VIGIL_TEST_DB=postgres needs DATABASE_URL');

  const temporaryDirectory = () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'vigil-backup-test-'));
    directories.push(directory);
    return directory;
  };

  function pglitePlace(): BackupTestPlace {
    const root = temporaryDirectory();
    const dataDir = path.join(root, 'pglite');
    return {
      target: { kind: 'pglite', dataDir },
      environment: { VIGIL_PROFILE: 'test', VIGIL_DATA_DIR: root, LOG_LEVEL: 'silent' },
      async withOwner(work) {
        const client = await PGlite.create(dataDir);
        try {
          return await work(
            async <Row>(text: string, params: unknown[] = []) => (await client.query<Row>(text, params)).rows,
          );
        } finally {
          await client.close();
        }
      },
      async wipe() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }

  function postgresPlace(): BackupTestPlace {
    const name = `vigil_test_${randomBytes(6).toString('hex')}`;
    databases.push(name);
    const admin = adminUrl!;
    const ownerUrl = withDatabaseName(admin, name);
    return {
      target: { kind: 'postgres', url: ownerUrl },
      environment: {
        VIGIL_PROFILE: 'test',
        VIGIL_DATA_DIR: temporaryDirectory(),
        LOG_LEVEL: 'silent',
        DATABASE_URL: withDatabaseName(admin, name, RUNTIME_TEST_LOGIN),
        DATABASE_MIGRATION_URL: ownerUrl,
      },
      async withOwner(work) {
        const client = new pg.Client({ connectionString: ownerUrl });
        await client.connect();
        try {
          return await work(
            async <Row>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as Row[],
          );
        } finally {
          await client.end();
        }
      },
      async wipe() {
        await adminRun(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await adminRun(admin, `CREATE DATABASE ${name}`);
      },
    };
  }

  return {
    adminUrl,
    temporaryDirectory,
    async createEmpty() {
      if (testDatabaseKind === 'pglite') return pglitePlace();
      const place = postgresPlace();
      await place.wipe();
      return place;
    },
    async createMigrated() {
      const place = await this.createEmpty();
      const databaseConfig =
        place.target.kind === 'pglite'
          ? ({ kind: 'pglite', dataDir: place.target.dataDir } as const)
          : ({
              kind: 'postgres',
              url: place.environment.DATABASE_URL!,
              migrationUrl: place.target.url,
              poolSize: 2,
            } as const);
      const { database } = await openDatabase(databaseConfig, { migrate: true });
      await database.close();
      return place;
    },
    async cleanup() {
      for (const name of databases.splice(0)) await adminRun(adminUrl!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
    },
  };
}

export function backupSourceOf(place: BackupTestPlace): BackupSource {
  return place.target.kind === 'pglite'
    ? { kind: 'pglite', dataDir: place.target.dataDir }
    : { kind: 'postgres', url: place.target.url };
}

export type SeededIds = { orgA: string; orgB: string };

/**
 * Two organisations with deals (including awkward values: quotes, unicode, NULLs, a newline),
 * a job, and two audit chains (the platform chain and organisation A's) with real hashes, so the
 * audit verifier can recompute them after a restore.
 */
export async function seedBackupTestData(query: SqlQuery): Promise<SeededIds> {
  const orgA = randomUUID();
  const orgB = randomUUID();
  await query(
    `INSERT INTO organisations (id, slug, name) VALUES ($1, 'acme', 'Acme'), ($2, 'globex', 'Globex "Intl"')`,
    [orgA, orgB],
  );
  const deals: [string, string, string, number | null, string | null][] = [
    [orgA, 'Renewal 2026', 'negotiation', 1_250_000, 'EUR'],
    [orgA, "O'Brien expansion — phase ②", 'discovery', null, null],
    [orgA, 'Line\nbreak', 'won', 0, 'USD'],
    [orgB, 'Globex pilot', 'proposal', 99_900, 'GBP'],
  ];
  for (const [orgId, name, stage, amount, currency] of deals) {
    await query(
      `INSERT INTO deals (org_id, id, name, stage, amount_minor, currency, close_date, owner_name)
       VALUES ($1, $2, $3, $4, $5, $6, DATE '2026-03-31', 'Dana')`,
      [orgId, randomUUID(), name, stage, amount, currency],
    );
  }
  await query(
    `INSERT INTO jobs (id, kind, payload, run_at, created_at) VALUES ($1, 'test.noop', '{"a":1}', now(), now())`,
    [randomUUID()],
  );
  for (const orgId of [null, orgA]) {
    let prevHash = GENESIS_HASH;
    for (let seq = 1; seq <= 2; seq += 1) {
      const event = {
        id: randomUUID(),
        orgId,
        seq,
        occurredAt: new Date(Date.UTC(2026, 0, 1, 12, 0, seq)),
        actorUserId: null,
        actorRole: 'system',
        actorIp: null,
        actorUserAgent: null,
        action: orgId ? 'deals.created' : 'platform.started',
        outcome: 'success',
        targetType: null,
        targetId: null,
        metadata: { seq, note: 'seeded' },
        requestId: null,
      };
      const hash = hashAuditEvent(prevHash, event);
      await query(
        `INSERT INTO audit_events (id, org_id, seq, occurred_at, actor_role, action, outcome, metadata, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          event.id,
          orgId,
          seq,
          event.occurredAt,
          event.actorRole,
          event.action,
          event.outcome,
          JSON.stringify(event.metadata),
          prevHash,
          hash,
        ],
      );
      prevHash = hash;
    }
  }
  return { orgA, orgB };
}

/** Every row of every user table as text, sorted: two databases with equal dumps are equal. */
export async function readAllRows(query: SqlQuery): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const table of await listUserTables(query)) {
    const name = `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
    const rows = await query<{ row: string }>(`SELECT t::text AS row FROM ${name} t ORDER BY t::text COLLATE "C"`);
    result[`${table.schema}.${table.name}`] = rows.map((row) => row.row);
  }
  return result;
}
