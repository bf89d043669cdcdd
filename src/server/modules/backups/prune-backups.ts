import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { BACKUP_FILE_EXTENSION } from './backup-format.ts';

// eslint-disable-next-line security/detect-non-literal-regexp -- built once from a constant extension
const BACKUP_NAME = new RegExp(`^vigil-\\d{8}T\\d{6}(\\.\\d{3})?Z\\${BACKUP_FILE_EXTENSION}$`);

/**
 * Keeps the newest `keep` backups in `directory` and deletes the rest. Only files named like
 * backups this module writes are considered (their names sort by time), so a backup an operator
 * copied in under another name is never deleted.
 */
export async function pruneBackups(options: { directory: string; keep: number }): Promise<string[]> {
  const names = (await readdir(options.directory)).filter((name) => BACKUP_NAME.test(name)).sort();
  const doomed = names.slice(0, Math.max(0, names.length - options.keep));
  for (const name of doomed) await unlink(path.join(options.directory, name)).catch(() => {});
  return doomed.map((name) => path.join(options.directory, name));
}
