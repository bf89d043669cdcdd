import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectOwner } from './connect-owner.ts';
import { BackupError } from './backup-error.ts';
import type { BackupManifest, BackupSeal } from './backup-format.ts';
import { checkRestoredDatabase, type RestoreVerification } from './check-restored-database.ts';
import { decryptBackupToFile, readBackupManifest } from './decrypt-backup-file.ts';
import { restorePglitePayload } from './restore-pglite-payload.ts';
import { restorePostgresPayload } from './restore-postgres-payload.ts';

export type RestoreTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

export type RestoreReport = {
  manifest: BackupManifest;
  seal: BackupSeal;
  verification: RestoreVerification;
  /** Embedded databases: where the replaced data directory was moved (--force), if any. */
  replacedDataDir: string | null;
};

/** How a target is named in messages, without the password of a URL. */
export function describeRestoreTarget(target: RestoreTarget): string {
  if (target.kind === 'pglite') return target.dataDir;
  const url = new URL(target.url);
  url.password = '';
  return `database ${decodeURIComponent(url.pathname.slice(1))} at ${url.host}`;
}

/**
 * Restores a backup file into `target`:
 *  1. decrypts and decompresses it into a private temporary directory, authenticating every
 *     chunk and checking the payload's SHA-256 — before the target is even opened, so a
 *     tampered, truncated or wrong-key backup never touches it;
 *  2. refuses a non-empty target unless `force`;
 *  3. restores atomically (one transaction, or a staging directory renamed into place);
 *  4. checks row counts and audit chain heads against the manifest and recomputes the chains.
 * Throws BackupError; a `verification-failed` error after step 3 means the data is in place
 * (PostgreSQL) but did not check out, and says so.
 */
export async function restoreBackup(options: {
  file: string;
  masterKey: Buffer;
  target: RestoreTarget;
  force: boolean;
  now: Date;
  /** Where the decrypted payload is staged; the system temporary directory by default. */
  temporaryDirectory?: string;
  onProgress?: (payloadBytes: number) => void;
  onStep?: (message: string) => void;
}): Promise<RestoreReport> {
  const { target } = options;
  const workDirectory = await mkdtemp(path.join(options.temporaryDirectory ?? tmpdir(), 'vigil-restore-'));
  try {
    // The header alone says what kind of database this is: fail fast before decrypting it all.
    const header = await readBackupManifest({ file: options.file, masterKey: options.masterKey });
    if (header.manifest.database.kind !== target.kind) {
      throw new BackupError(
        'wrong-target-kind',
        header.manifest.database.kind === 'pglite'
          ? 'this is a backup of an embedded (PGlite) database: restore it with --data-dir'
          : 'this is a backup of a PostgreSQL database: restore it with --into <owner database URL> (or with DATABASE_URL set)',
      );
    }
    const payloadFile = path.join(workDirectory, 'payload');
    options.onStep?.('decrypting and checking the backup');
    const { manifest, seal } = await decryptBackupToFile({
      file: options.file,
      masterKey: options.masterKey,
      destination: payloadFile,
      onProgress: options.onProgress,
    });
    const targetName = describeRestoreTarget(target);
    options.onStep?.(`restoring into ${targetName}`);

    if (target.kind === 'pglite') {
      const { checked, replacedDataDir } = await restorePglitePayload({
        dataDir: target.dataDir,
        tarballFile: payloadFile,
        replace: options.force,
        now: options.now,
        check: async (query) => {
          const verification = await checkRestoredDatabase({ query, manifest });
          if (!verification.ok) throw verificationError(verification, `${targetName} was left unchanged`);
          return verification;
        },
      });
      return { manifest, seal, verification: checked, replacedDataDir };
    }

    await restorePostgresPayload({
      url: target.url,
      archiveFile: payloadFile,
      manifest,
      replace: options.force,
      targetName,
    });
    options.onStep?.('verifying the restored database');
    const connection = await connectOwner(target.url);
    try {
      await connection.query('SET row_security = off');
      const verification = await checkRestoredDatabase({ query: connection.query, manifest });
      if (!verification.ok) throw verificationError(verification, `the data is restored in ${targetName}`);
      return { manifest, seal, verification, replacedDataDir: null };
    } finally {
      await connection.close();
    }
  } finally {
    // The decrypted payload is the whole database in clear: never leave it behind.
    await rm(workDirectory, { recursive: true, force: true });
  }
}

function verificationError(verification: RestoreVerification, state: string): BackupError {
  return new BackupError(
    'verification-failed',
    `the restored database does not match the backup (${state}):\n  - ${verification.differences.join('\n  - ')}`,
  );
}
