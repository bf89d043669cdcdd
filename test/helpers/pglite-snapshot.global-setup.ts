import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../../src/server/platform/db/open-database.ts';

/**
 * Global setup of the pglite test project: migrates one in-memory PGlite and dumps its data
 * directory to a temporary file once per run. createTestDatabase starts every test file's
 * database from that copy (VIGIL_TEST_PGLITE_SNAPSHOT, inherited by the forked workers) instead
 * of running initdb and all migrations per file. Built from this checkout's migrations on every
 * run, so it can never be stale.
 */
export default async function setup(): Promise<() => void> {
  const { database } = await openDatabase({ kind: 'pglite', dataDir: null }, { migrate: true });
  const client = (database.orm as unknown as { $client: PGlite }).$client;
  const dump = await client.dumpDataDir('none');
  await database.close();
  const directory = mkdtempSync(path.join(tmpdir(), 'vigil-pglite-snapshot-'));
  const file = path.join(directory, 'migrated.tar');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env.VIGIL_TEST_PGLITE_SNAPSHOT = file;
  return () => rmSync(directory, { recursive: true, force: true });
}
