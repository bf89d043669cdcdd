import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Job } from '../../platform/db/schema.ts';
import type { JobHandler } from '../../platform/jobs/job-worker.ts';
import type { RecurringJob } from '../../platform/jobs/recurring-jobs.ts';
import { backupFileName, type BackupSource, createBackup } from './create-backup.ts';
import { pgliteClientOf } from './dump-pglite-payload.ts';
import { pruneBackups } from './prune-backups.ts';

export const BACKUP_SCHEDULED_JOB_KIND = 'backup.scheduled';

/** Daily, for `startRecurringJobs({ schedules: [...] })`. */
export const DAILY_BACKUP_SCHEDULE: RecurringJob = { kind: BACKUP_SCHEDULED_JOB_KIND, everyMs: 24 * 60 * 60 * 1000 };

/**
 * The backup's time: the period a recurring job was enqueued for, so a retried or duplicated run
 * of the same period finds its file already written; otherwise now.
 */
function backupTime(job: Job, clock: Clock): Date {
  const period = (job.payload as { period?: unknown } | null)?.period;
  const time = typeof period === 'string' ? new Date(period) : null;
  return time && !Number.isNaN(time.getTime()) ? time : clock.now();
}

/**
 * Handler of `backup.scheduled`: writes an encrypted backup into `config.backup.dir` and keeps the
 * newest `config.backup.retention`. On PostgreSQL it dumps through the owner URL
 * (DATABASE_MIGRATION_URL, which needs BYPASSRLS); an embedded server backs up its own live
 * PGlite instance, since no second process may open the data directory.
 *
 * At-least-once delivery is harmless: the file is named after the job's period, so a repeated run
 * of a period that already has its backup only prunes. A lost lease aborts the dump and removes
 * the partial file.
 */
export function createScheduledBackupJobHandler(options: {
  config: Config;
  database: Database;
  masterKey: Buffer;
  clock: Clock;
  log: Pick<Logger, 'info'>;
}): JobHandler {
  const { config, database, masterKey, clock, log } = options;
  return async (job, { signal }) => {
    const source: BackupSource =
      config.database.kind === 'postgres'
        ? { kind: 'postgres', url: config.database.migrationUrl }
        : { kind: 'pglite-instance', client: pgliteClientOf(database) };
    const file = path.join(config.backup.dir, backupFileName(backupTime(job, clock)));
    if (existsSync(file)) {
      log.info({ file }, 'scheduled backup of this period exists already');
      await pruneBackups({ directory: config.backup.dir, keep: config.backup.retention });
      return;
    }
    const written = await createBackup({
      source,
      masterKey,
      file,
      vigilVersion: config.version,
      clock,
      signal,
    });
    const pruned = await pruneBackups({ directory: config.backup.dir, keep: config.backup.retention });
    log.info(
      { file, bytes: written.fileBytes, backupId: written.manifest.backupId, pruned: pruned.length },
      'scheduled backup written',
    );
  };
}
