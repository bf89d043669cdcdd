import { randomBytes } from 'node:crypto';
import { existsSync, openAsBlob } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlQuery } from '../../platform/db/query-rows.ts';
import { BackupError } from './backup-error.ts';
import { pgliteQuery } from './dump-pglite-payload.ts';
import { inspectPgliteDirectory, refuseNonEmptyTarget } from './inspect-restore-target.ts';

/**
 * Restores a PGlite data-directory tarball into `dataDir`. The tarball is unpacked into a sibling
 * staging directory and `check` runs there; only if it passes is the staging directory renamed
 * into place, so a failed restore leaves `dataDir` exactly as it was. With `replace`, a previous
 * database is moved aside (never deleted) and its new path returned.
 */
export async function restorePglitePayload<T>(options: {
  dataDir: string;
  tarballFile: string;
  replace: boolean;
  /** Runs against the restored database before it is moved into place; throw to abandon. */
  check: (query: SqlQuery) => Promise<T>;
  /** Names the "moved aside" directory; a clock reading, so tests can control it. */
  now: Date;
}): Promise<{ checked: T; replacedDataDir: string | null }> {
  const dataDir = path.resolve(options.dataDir);
  const contents = await inspectPgliteDirectory(dataDir);
  if (!contents.empty && !options.replace) refuseNonEmptyTarget(dataDir, contents);

  await mkdir(path.dirname(dataDir), { recursive: true });
  const staging = `${dataDir}.restoring-${randomBytes(4).toString('hex')}`;
  let checked: T;
  try {
    const client = await PGlite.create(staging, { loadDataDir: await openAsBlob(options.tarballFile) }).catch(
      (error: unknown) => {
        throw new BackupError(
          'tool-failed',
          `the embedded database in the backup does not start (${error instanceof Error ? error.message : String(error)}); ` +
            `${dataDir} is unchanged`,
        );
      },
    );
    try {
      checked = await options.check(pgliteQuery(client));
    } finally {
      await client.close();
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }

  let replacedDataDir: string | null = null;
  if (existsSync(dataDir)) {
    if (contents.empty) await rm(dataDir, { recursive: true, force: true });
    else {
      replacedDataDir = `${dataDir}.replaced-${options.now.toISOString().replaceAll(':', '-')}`;
      await rename(dataDir, replacedDataDir);
    }
  }
  await rename(staging, dataDir);
  return { checked, replacedDataDir };
}
