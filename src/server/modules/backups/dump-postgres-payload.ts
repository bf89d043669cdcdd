import { Readable } from 'node:stream';
import { connectOwner } from './connect-owner.ts';
import { assertReadsEveryRow, type DatabaseStatistics, readDatabaseStatistics } from './read-database-statistics.ts';
import { spawnPostgresTool } from './spawn-postgres-tool.ts';

export type PayloadSnapshot = {
  statistics: DatabaseStatistics;
  payload: Readable;
  /** Releases the snapshot (and kills the dump if it is still running). */
  close(): Promise<void>;
};

/**
 * `pg_dump --format=custom` of the database at `url` (an owner URL), streamed. The statistics
 * for the manifest and the dump come from one exported snapshot, so the row counts and audit
 * heads describe exactly the rows in the archive even while the server keeps writing.
 */
export async function dumpPostgresPayload(options: { url: string }): Promise<PayloadSnapshot> {
  const connection = await connectOwner(options.url);
  let dump: ReturnType<typeof spawnPostgresTool> | null = null;
  const close = async () => {
    if (dump && dump.child.exitCode === null && dump.child.signalCode === null) dump.child.kill('SIGTERM');
    await connection.query('ROLLBACK').catch(() => {});
    await connection.close().catch(() => {});
  };
  try {
    await connection.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await assertReadsEveryRow(connection.query);
    const [exported] = await connection.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
    const statistics = await readDatabaseStatistics(connection.query);
    // Compression is ours (gzip before encryption); pg_dump compressing too would only burn CPU.
    const running = spawnPostgresTool({
      tool: 'pg_dump',
      url: options.url,
      args: ['--format=custom', '--compress=0', `--snapshot=${exported?.snapshot ?? ''}`],
      stdin: 'ignore',
      stdout: 'pipe',
    });
    dump = running;
    const stdout = running.child.stdout!;
    const payload = Readable.from(
      (async function* () {
        for await (const piece of stdout) yield piece as Buffer;
        // The archive is only complete if pg_dump says so: a crash mid-way must fail the backup.
        await running.exited;
      })(),
    );
    return { statistics, payload, close };
  } catch (error) {
    await close();
    throw error;
  }
}
