import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectOwner } from './connect-owner.ts';
import { BackupError } from './backup-error.ts';
import { readBackupManifest } from './decrypt-backup-file.ts';
import { quoteIdentifier } from './read-database-statistics.ts';
import { type RestoreReport, restoreBackup } from './restore-backup.ts';

/**
 * The restore drill: restores the backup into a scratch database — a new PostgreSQL database
 * created next to `postgresOwnerUrl`'s, or a temporary embedded data directory — checks it
 * against the manifest (row counts, audit heads, recomputed audit chains) and removes it again.
 * A backup is only proven by restoring it; this does so without touching the live database.
 */
export async function verifyBackup(options: {
  file: string;
  masterKey: Buffer;
  /** Owner URL of a PostgreSQL server where the role may CREATE DATABASE; needed for PostgreSQL backups. */
  postgresOwnerUrl: string | null;
  now: Date;
  temporaryDirectory?: string;
  onProgress?: (payloadBytes: number) => void;
  onStep?: (message: string) => void;
}): Promise<RestoreReport> {
  const { manifest } = await readBackupManifest({ file: options.file, masterKey: options.masterKey });
  const common = {
    file: options.file,
    masterKey: options.masterKey,
    force: false,
    now: options.now,
    temporaryDirectory: options.temporaryDirectory,
    onProgress: options.onProgress,
    onStep: options.onStep,
  };

  if (manifest.database.kind === 'pglite') {
    const scratch = await mkdtemp(path.join(options.temporaryDirectory ?? tmpdir(), 'vigil-verify-'));
    try {
      return await restoreBackup({ ...common, target: { kind: 'pglite', dataDir: path.join(scratch, 'pglite') } });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  if (!options.postgresOwnerUrl) {
    throw new BackupError(
      'wrong-target-kind',
      'this is a backup of a PostgreSQL database: verifying it needs a PostgreSQL server (set DATABASE_URL, and ' +
        'DATABASE_MIGRATION_URL to a role that may CREATE DATABASE)',
    );
  }
  const scratchName = `vigil_verify_${randomBytes(6).toString('hex')}`;
  const admin = await connectOwner(options.postgresOwnerUrl);
  try {
    try {
      // template0: a pristine database, whatever was added to template1 on this server.
      await admin.query(`CREATE DATABASE ${quoteIdentifier(scratchName)} TEMPLATE template0`);
    } catch (error) {
      if ((error as { code?: string }).code === '42501') {
        throw new BackupError(
          'insufficient-privilege',
          'the owner role may not CREATE DATABASE, which the restore drill needs for its scratch database: ' +
            'grant it CREATEDB, or run the drill with an owner URL of a role that has it',
        );
      }
      throw error;
    }
    options.onStep?.(`created scratch database ${scratchName}`);
    try {
      const scratchUrl = new URL(options.postgresOwnerUrl);
      scratchUrl.pathname = `/${scratchName}`;
      return await restoreBackup({ ...common, target: { kind: 'postgres', url: scratchUrl.toString() } });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(scratchName)} WITH (FORCE)`);
      options.onStep?.(`dropped scratch database ${scratchName}`);
    }
  } finally {
    await admin.close();
  }
}
