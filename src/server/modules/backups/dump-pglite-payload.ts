import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { PGlite } from '@electric-sql/pglite';
import type { Database } from '../../platform/db/database.ts';
import { BackupError } from './backup-error.ts';
import type { PayloadSnapshot } from './dump-postgres-payload.ts';
import { type DatabaseStatistics, readDatabaseStatistics } from './read-database-statistics.ts';

/** The query function of a PGlite instance, in the shape the statistics reader takes. */
export function pgliteQuery(client: PGlite) {
  return async <Row>(text: string, params: unknown[] = []): Promise<Row[]> =>
    (await client.query<Row>(text, params)).rows;
}

/**
 * A tarball of a PGlite data directory (`dumpDataDir`), taken from a running instance.
 *
 * The statistics are read from a throwaway in-memory copy loaded from that same tarball, not from
 * the live instance: a server keeps writing between any count and the dump, and the copy is by
 * construction exactly what the backup holds. (PGlite builds the tarball in memory, so an
 * embedded backup needs memory for about twice the data directory; embedded databases are
 * laptop-sized. PostgreSQL backups stream in constant memory.)
 */
export async function dumpPgliteClientPayload(options: { client: PGlite }): Promise<PayloadSnapshot> {
  const tarball = await options.client.dumpDataDir('none');
  const copy = await PGlite.create({ loadDataDir: tarball });
  let statistics: DatabaseStatistics;
  try {
    statistics = await readDatabaseStatistics(pgliteQuery(copy));
  } finally {
    await copy.close();
  }
  return {
    statistics,
    payload: Readable.fromWeb(tarball.stream() as WebReadableStream<Uint8Array>),
    close: async () => {},
  };
}

/**
 * Opens the embedded database in `dataDir` (no server may be running on it: PGlite is a single
 * process) and dumps it.
 */
export async function dumpPgliteDirectoryPayload(options: { dataDir: string }): Promise<PayloadSnapshot> {
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    throw new BackupError('no-database', `there is no embedded database in ${options.dataDir}`);
  }
  const client = await PGlite.create(options.dataDir);
  try {
    return await dumpPgliteClientPayload({ client });
  } finally {
    await client.close();
  }
}

/**
 * The live PGlite instance behind a Database (for scheduled backups inside a running embedded
 * server, which owns the data directory exclusively). drizzle keeps its driver client as `$client`.
 */
export function pgliteClientOf(database: Database): PGlite {
  const client = (database.orm as unknown as { $client?: unknown }).$client;
  if (client instanceof PGlite) return client;
  throw new Error('the embedded database does not expose its PGlite instance');
}
