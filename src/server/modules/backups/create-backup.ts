import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Clock } from '../../platform/clock.ts';
import { BackupError } from './backup-error.ts';
import { BACKUP_FILE_EXTENSION, BACKUP_FORMAT_VERSION } from './backup-format.ts';
import { dumpPgliteClientPayload, dumpPgliteDirectoryPayload } from './dump-pglite-payload.ts';
import { dumpPostgresPayload, type PayloadSnapshot } from './dump-postgres-payload.ts';
import { type WrittenBackup, writeBackupFile } from './write-backup-file.ts';

export type BackupSource =
  /** A PostgreSQL database, by owner URL (DATABASE_MIGRATION_URL). */
  | { kind: 'postgres'; url: string }
  /** An embedded data directory no process has open. */
  | { kind: 'pglite'; dataDir: string }
  /** The PGlite instance of this very process (scheduled backups in an embedded server). */
  | { kind: 'pglite-instance'; client: PGlite };

/** `vigil-20260101T120000.123Z.vbk`: sorts by time, safe in every file system. */
export function backupFileName(now: Date): string {
  return `vigil-${now.toISOString().replaceAll('-', '').replaceAll(':', '')}${BACKUP_FILE_EXTENSION}`;
}

function openSnapshot(source: BackupSource): Promise<PayloadSnapshot> {
  if (source.kind === 'postgres') return dumpPostgresPayload({ url: source.url });
  if (source.kind === 'pglite') return dumpPgliteDirectoryPayload({ dataDir: source.dataDir });
  return dumpPgliteClientPayload({ client: source.client });
}

/**
 * Takes a consistent snapshot of the database and writes it to `file` as an encrypted backup
 * whose manifest records the row counts and audit chain heads of that same snapshot.
 */
export async function createBackup(options: {
  source: BackupSource;
  masterKey: Buffer;
  file: string;
  vigilVersion: string;
  clock: Clock;
  compressionLevel?: number;
  onProgress?: (payloadBytes: number) => void;
  signal?: AbortSignal;
}): Promise<WrittenBackup> {
  if (existsSync(options.file)) {
    throw new BackupError('file-exists', `${options.file} already exists; choose another --out`);
  }
  await mkdir(path.dirname(options.file), { recursive: true, mode: 0o700 });
  const snapshot = await openSnapshot(options.source);
  try {
    const kind = options.source.kind === 'postgres' ? 'postgres' : 'pglite';
    return await writeBackupFile({
      file: options.file,
      masterKey: options.masterKey,
      descriptor: {
        format: 'vigil-backup',
        formatVersion: BACKUP_FORMAT_VERSION,
        backupId: randomUUID(),
        createdAt: options.clock.now().toISOString(),
        vigilVersion: options.vigilVersion,
        database: {
          kind,
          serverVersion: snapshot.statistics.serverVersion,
          payload: kind === 'postgres' ? 'pg_dump-custom' : 'pglite-datadir-tar',
        },
        schemaVersion: { migrations: snapshot.statistics.migrations },
        tables: snapshot.statistics.tables,
        auditChains: snapshot.statistics.auditChains,
      },
      payload: snapshot.payload,
      compressionLevel: options.compressionLevel,
      onProgress: options.onProgress,
      signal: options.signal,
    });
  } finally {
    await snapshot.close();
  }
}
