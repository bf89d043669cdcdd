import type { MigrationConnection } from '../../platform/db/database.ts';
import { openPostgresMigrationConnection } from '../../platform/db/open-postgres.ts';
import { BackupError } from './backup-error.ts';

/**
 * An owner connection for backup work. A server that is down or a database that does not exist
 * is an operator's everyday mistake: report it in one line, without a driver stack trace.
 */
export async function connectOwner(url: string): Promise<MigrationConnection> {
  try {
    return await openPostgresMigrationConnection(url);
  } catch (error) {
    const parsed = new URL(url);
    parsed.password = '';
    const where = `database ${decodeURIComponent(parsed.pathname.slice(1))} at ${parsed.host}`;
    throw new BackupError(
      'no-database',
      `cannot connect to ${where}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
