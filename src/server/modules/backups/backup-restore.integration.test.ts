// A backup is only as good as its restore: seed, back up, wipe, restore, and compare every row of
// every table; then attack the backup file and check the target is never touched.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlledClock } from '../../platform/clock.ts';
import type { Config } from '../../config.ts';
import { openDatabase } from '../../platform/db/open-database.ts';
import { queryRows } from '../../platform/db/query-rows.ts';
import { withTenantTransaction } from '../../platform/db/tenant-transaction.ts';
import { BackupError, type BackupErrorCode } from './backup-error.ts';
import { headerLayout } from './backup-format.ts';
import {
  type BackupTestPlace,
  backupSourceOf,
  backupTestDatabaseKind,
  createBackupTestDatabases,
  readAllRows,
  type SeededIds,
  seedBackupTestData,
  TEST_MASTER_KEY,
} from './backup-test-database.ts';
import { createBackup } from './create-backup.ts';
import { decryptBackupToFile, readBackupManifest } from './decrypt-backup-file.ts';
import { checkRestoredDatabase } from './check-restored-database.ts';
import { restorePglitePayload } from './restore-pglite-payload.ts';
import { restorePostgresPayload } from './restore-postgres-payload.ts';
import { restoreBackup } from './restore-backup.ts';
import { verifyBackup } from './verify-backup.ts';

const databases = createBackupTestDatabases({ adminUrl: process.env.DATABASE_URL });
const clock = createControlledClock(new Date('2026-02-01T10:00:00Z'));

let source: BackupTestPlace;
let seeded: SeededIds;
let rowsBefore: Record<string, string[]>;
let backupFile: string;

beforeAll(async () => {
  source = await databases.createMigrated();
  seeded = await source.withOwner(seedBackupTestData);
  rowsBefore = await source.withOwner(readAllRows);
  backupFile = path.join(databases.temporaryDirectory(), 'seeded.vbk');
  await createBackup({
    source: backupSourceOf(source),
    masterKey: TEST_MASTER_KEY,
    file: backupFile,
    vigilVersion: '0.0.0-test',
    clock,
  });
}, 90_000);

afterAll(() => databases.cleanup());

function restoreInto(place: BackupTestPlace, options: { file?: string; force?: boolean; masterKey?: Buffer } = {}) {
  return restoreBackup({
    file: options.file ?? backupFile,
    masterKey: options.masterKey ?? TEST_MASTER_KEY,
    target: place.target,
    force: options.force ?? false,
    now: clock.now(),
  });
}

async function expectBackupError(promise: Promise<unknown>, code: BackupErrorCode): Promise<BackupError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BackupError);
  expect((error as BackupError).code).toBe(code);
  return error as BackupError;
}

/** Opens the restored database as the server would (runtime role, RLS) and reads through a tenant transaction. */
async function readAsRuntime(
  place: BackupTestPlace,
  orgId: string,
): Promise<{ scoped: number; unscoped: number; applied: string[] }> {
  const databaseConfig: Config['database'] =
    place.target.kind === 'pglite'
      ? { kind: 'pglite', dataDir: place.target.dataDir }
      : { kind: 'postgres', url: place.environment.DATABASE_URL!, migrationUrl: place.target.url, poolSize: 2 };
  // migrate: the restored ledger must agree with the migration files (no re-run, no checksum error).
  const { database, migrationsApplied } = await openDatabase(databaseConfig, { migrate: true });
  try {
    const [scoped] = await withTenantTransaction(
      database,
      { orgId, userId: null, requestId: 'backup-test' },
      (transaction) => queryRows<{ count: string }>(transaction, sql`SELECT count(*)::text AS count FROM deals`),
    );
    const [unscoped] = await database.query<{ count: string }>('SELECT count(*)::text AS count FROM deals');
    return { scoped: Number(scoped?.count), unscoped: Number(unscoped?.count), applied: migrationsApplied };
  } finally {
    await database.close();
  }
}

// Embedded databases boot PGlite several times per test: generous limits for busy CI machines.
describe(`backup and restore (${backupTestDatabaseKind})`, { timeout: 90_000 }, () => {
  it('records schema, row counts and audit chain heads in the manifest', async () => {
    const { manifest, seal } = await readBackupManifest({ file: backupFile, masterKey: TEST_MASTER_KEY });
    expect(manifest.database.kind).toBe(backupTestDatabaseKind);
    expect(manifest.createdAt).toBe('2026-02-01T10:00:00.000Z');
    expect(manifest.schemaVersion.migrations[0]).toBe('0001_foundation.sql');
    const rows = Object.fromEntries(manifest.tables.map((table) => [table.name, table.rows]));
    expect(rows).toMatchObject({ organisations: 2, deals: 4, jobs: 1, audit_events: 4 });
    for (const [name, tableRows] of Object.entries(rowsBefore)) {
      expect(manifest.tables.find((table) => `${table.schema}.${table.name}` === name)?.rows).toBe(tableRows.length);
    }
    expect(manifest.auditChains).toEqual([
      expect.objectContaining({ orgId: null, events: 2, maxSeq: 2 }),
      expect.objectContaining({ orgId: seeded.orgA, events: 2, maxSeq: 2 }),
    ]);
    expect(seal.payloadBytes).toBeGreaterThan(0);
  });

  it('restores a wiped database with zero differences, intact audit chains and working runtime grants', async () => {
    await source.wipe();
    const report = await restoreInto(source);
    expect(report.verification.differences).toEqual([]);
    expect(report.verification.chains.map((chain) => [chain.orgId, chain.events, chain.firstBroken])).toEqual([
      [null, 2, null],
      [seeded.orgA, 2, null],
    ]);
    expect(await source.withOwner(readAllRows)).toEqual(rowsBefore);
    // Grants and RLS came back with the data: the runtime role reads its organisation and only it.
    expect(await readAsRuntime(source, seeded.orgA)).toEqual({ scoped: 3, unscoped: 0, applied: [] });
  });

  it('passes the restore drill (scratch database, dropped afterwards)', async () => {
    const steps: string[] = [];
    const report = await verifyBackup({
      file: backupFile,
      masterKey: TEST_MASTER_KEY,
      postgresOwnerUrl: databases.adminUrl,
      now: clock.now(),
      onStep: (step) => steps.push(step),
    });
    expect(report.verification.ok).toBe(true);
    expect(report.verification.chains).toHaveLength(2);
    if (backupTestDatabaseKind === 'postgres') {
      const scratch = /created scratch database (\w+)/.exec(steps.join('\n'))?.[1];
      expect(scratch).toBeDefined();
      const [left] = await source.withOwner((query) =>
        query<{ count: string }>('SELECT count(*)::text AS count FROM pg_database WHERE datname = $1', [scratch]),
      );
      expect(left?.count).toBe('0');
    }
  });

  it('refuses a non-empty target without --force, and replaces it with --force', async () => {
    const target = await databases.createMigrated();
    const error = await expectBackupError(restoreInto(target), 'target-not-empty');
    expect(error.message).toMatch(/not empty .*vigil_migrations ledger.*--force/s);
    await target.withOwner((query) =>
      query(`INSERT INTO organisations (id, slug, name) VALUES ($1, 'stray', 'Stray')`, [
        '00000000-0000-7000-8000-000000000001',
      ]),
    );
    const report = await restoreInto(target, { force: true });
    expect(report.verification.ok).toBe(true);
    expect(await target.withOwner(readAllRows)).toEqual(rowsBefore);
    if (target.target.kind === 'pglite') expect(report.replacedDataDir).toMatch(/\.replaced-/);
    expect((await readAsRuntime(target, seeded.orgB)).scoped).toBe(1);
  });

  it('a restore failing midway leaves a non-empty target as it was (--force)', async () => {
    // An authentic backup whose payload the restore tool then fails on: a cut archive.
    const payload = path.join(databases.temporaryDirectory(), 'payload');
    const { manifest } = await decryptBackupToFile({
      file: backupFile,
      masterKey: TEST_MASTER_KEY,
      destination: payload,
    });
    const whole = readFileSync(payload);
    writeFileSync(payload, whole.subarray(0, Math.floor(whole.length * 0.8)));
    const failing =
      source.target.kind === 'postgres'
        ? restorePostgresPayload({
            url: source.target.url,
            archiveFile: payload,
            manifest,
            replace: true,
            targetName: 'source',
          })
        : restorePglitePayload({
            dataDir: source.target.dataDir,
            tarballFile: payload,
            replace: true,
            now: clock.now(),
            check: (query) =>
              checkRestoredDatabase({ query, manifest }).then((result) => {
                if (!result.ok) throw new BackupError('verification-failed', result.differences.join('; '));
              }),
          });
    const failure = await expectBackupError(failing, 'tool-failed');
    expect(failure.message).toMatch(/unchanged/);
    expect(await source.withOwner(readAllRows)).toEqual(rowsBefore);
  });

  describe('a damaged backup fails before the target is touched (even with --force)', () => {
    function damaged(change: (bytes: Buffer) => Buffer): string {
      const file = path.join(databases.temporaryDirectory(), 'damaged.vbk');
      writeFileSync(file, change(Buffer.from(readFileSync(backupFile))));
      return file;
    }

    async function expectRefusedAndUntouched(file: string, code: BackupErrorCode, masterKey?: Buffer): Promise<string> {
      const error = await expectBackupError(restoreInto(source, { file, force: true, masterKey }), code);
      expect(await source.withOwner(readAllRows)).toEqual(rowsBefore);
      return error.message;
    }

    it('a flipped byte in the body', async () => {
      const { bodyOffset } = headerLayout(readFileSync(backupFile).readUInt32BE(8));
      const file = damaged((bytes) => {
        bytes[bodyOffset + 40]! ^= 0x80;
        return bytes;
      });
      expect(await expectRefusedAndUntouched(file, 'body-tampered')).toMatch(/chunk 0 fails authentication/);
    });

    it('a truncated file', async () => {
      const file = damaged((bytes) => bytes.subarray(0, bytes.length - 100));
      expect(await expectRefusedAndUntouched(file, 'truncated')).toMatch(/truncated/);
    });

    it('an edited manifest (row count lowered to hide deleted rows)', async () => {
      const file = damaged((bytes) =>
        Buffer.from(bytes.toString('latin1').replace('"name":"deals","rows":4', '"name":"deals","rows":3'), 'latin1'),
      );
      expect(await expectRefusedAndUntouched(file, 'manifest-tampered')).toMatch(/manifest was modified/);
    });

    it('the wrong master key', async () => {
      expect(await expectRefusedAndUntouched(backupFile, 'wrong-key', randomBytes(32))).toMatch(/wrong master key/);
    });
  });
});
