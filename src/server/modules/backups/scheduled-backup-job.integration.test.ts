// The `backup.scheduled` job: runs inside a live server or worker, writes into the backup
// directory, keeps the newest N, and its backups pass the restore drill.
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createControlledClock } from '../../platform/clock.ts';
import { openDatabase } from '../../platform/db/open-database.ts';
import type { Job } from '../../platform/db/schema.ts';
import {
  backupTestDatabaseKind,
  createBackupTestDatabases,
  seedBackupTestData,
  TEST_MASTER_KEY,
} from './backup-test-database.ts';
import { createScheduledBackupJobHandler } from './scheduled-backup-job.ts';
import { verifyBackup } from './verify-backup.ts';

const databases = createBackupTestDatabases({ adminUrl: process.env.DATABASE_URL });
afterAll(() => databases.cleanup());

describe(`backup.scheduled job (${backupTestDatabaseKind})`, () => {
  it('backs up the live database, keeps the newest N, and the result restores', async () => {
    const place = await databases.createMigrated();
    await place.withOwner(seedBackupTestData);
    const backupDir = databases.temporaryDirectory();
    const config = loadConfig({ ...place.environment, VIGIL_BACKUP_DIR: backupDir, VIGIL_BACKUP_RETENTION: '2' });
    expect(config.backup).toEqual({ dir: backupDir, retention: 2, intervalHours: 24 });
    // The server's own connection: on PGlite the job must back up this very instance.
    const { database } = await openDatabase(config.database, { migrate: false });
    const clock = createControlledClock(new Date('2026-03-01T00:00:00Z'));
    const logged: unknown[] = [];
    const handler = createScheduledBackupJobHandler({
      config,
      database,
      masterKey: TEST_MASTER_KEY,
      clock,
      log: { info: (details: unknown) => void logged.push(details) },
    });
    try {
      const signal = new AbortController().signal;
      for (let run = 0; run < 2; run += 1) {
        await handler({ id: `job-${run}`, kind: 'backup.scheduled', payload: {} } as Job, { signal });
        clock.advance(3_600_000);
      }
      // A recurring run names its file after its period; a second delivery of it writes nothing.
      const period = { kind: 'backup.scheduled', payload: { period: '2026-03-02T00:00:00.000Z' } };
      await handler({ id: 'period-1', ...period } as Job, { signal });
      await handler({ id: 'period-2', ...period } as Job, { signal });
      // The server still works after backing itself up.
      expect(await database.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await database.close();
    }
    const files = readdirSync(backupDir).sort();
    expect(files).toEqual(['vigil-20260301T010000.000Z.vbk', 'vigil-20260302T000000.000Z.vbk']);
    expect(logged).toHaveLength(4);

    const report = await verifyBackup({
      file: `${backupDir}/${files[0]}`,
      masterKey: TEST_MASTER_KEY,
      postgresOwnerUrl: databases.adminUrl,
      now: clock.now(),
    });
    expect(report.verification.ok).toBe(true);
    expect(report.manifest.tables.find((table) => table.name === 'deals')?.rows).toBe(4);
    // Embedded backups boot a copy of the database per backup: slow on a busy machine.
  }, 90_000);
});
