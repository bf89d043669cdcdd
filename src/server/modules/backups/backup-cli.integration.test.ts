// The operator's view: `vigil backup`, `vigil backup verify` and `vigil restore` — exit codes,
// output, and failures reported as one clear line, never a stack trace.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/main.ts';
import {
  type BackupTestPlace,
  backupTestDatabaseKind,
  createBackupTestDatabases,
  readAllRows,
  seedBackupTestData,
} from './backup-test-database.ts';

const databases = createBackupTestDatabases({ adminUrl: process.env.DATABASE_URL });
afterAll(() => databases.cleanup());

async function vigil(environment: Record<string, string>, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    environment,
  });
  return { code, stdout, stderr };
}

/** A failure an operator can act on: one message, no stack frames. */
function expectCleanFailure(result: { code: number; stderr: string }, message: RegExp) {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

let source: BackupTestPlace;
let rowsBefore: Record<string, string[]>;
let backupFile: string;

beforeAll(async () => {
  source = await databases.createMigrated();
  await source.withOwner(seedBackupTestData);
  rowsBefore = await source.withOwner(readAllRows);
  backupFile = path.join(databases.temporaryDirectory(), 'cli.vbk');
}, 90_000);

// Embedded databases boot PGlite several times per test: generous limits for busy CI machines.
describe(`vigil backup / restore CLI (${backupTestDatabaseKind})`, { timeout: 90_000 }, () => {
  it('lists the commands and their help', async () => {
    const help = await vigil({}, '--help');
    for (const name of ['backup', 'backup verify', 'restore']) expect(help.stdout).toContain(name);
    expect((await vigil({}, 'restore', '--help')).stdout).toContain('Usage: vigil restore FILE');
    expect((await vigil({}, 'backup', 'verify', '--help')).stdout).toContain('Usage: vigil backup verify FILE');
  });

  it('backs up, prints the manifest summary, and refuses to overwrite a file', async () => {
    const result = await vigil(source.environment, 'backup', '--out', backupFile);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Backup written: ${backupFile}`);
    expect(result.stdout).toMatch(/tables\s+\d+ tables, \d+ rows/);
    expect(result.stdout).toMatch(/audit\s+2 chain\(s\), 4 event\(s\)/);
    expect(result.stderr).toBe(''); // not a terminal: no progress line
    expectCleanFailure(await vigil(source.environment, 'backup', '--out', backupFile), /already exists/);
  });

  it('writes to <data dir>/backups by default', async () => {
    const result = await vigil(source.environment, 'backup');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(path.join(source.environment.VIGIL_DATA_DIR!, 'backups', 'vigil-'));
  });

  it('passes the restore drill', async () => {
    const result = await vigil(source.environment, 'backup', 'verify', backupFile);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Restore drill passed');
    expect(result.stdout).toMatch(/2 chain\(s\) recomputed, all links verify/);
  });

  it('refuses to restore over the live database without --force', async () => {
    expectCleanFailure(await vigil(source.environment, 'restore', backupFile), /not empty.*--force/);
  });

  it('restores into an empty target given on the command line', async () => {
    const target = await databases.createEmpty();
    const where =
      target.target.kind === 'postgres' ? ['--into', target.target.url] : ['--data-dir', target.target.dataDir];
    const result = await vigil(source.environment, 'restore', backupFile, ...where);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('row counts match the manifest');
    expect(await target.withOwner(readAllRows)).toEqual(rowsBefore);
  });

  it('restores over the configured database with --force', async () => {
    await source.withOwner((query) => query('DELETE FROM deals'));
    const result = await vigil(source.environment, 'restore', backupFile, '--force');
    expect(result.code, result.stderr).toBe(0);
    expect(await source.withOwner(readAllRows)).toEqual(rowsBefore);
  });

  it('reports a wrong key, a tampered file and a non-backup clearly', async () => {
    const otherKey = randomBytes(32).toString('base64');
    expectCleanFailure(
      await vigil({ ...source.environment, VIGIL_MASTER_KEY: otherKey }, 'restore', backupFile, '--force'),
      /wrong master key: this backup was encrypted under the master key with fingerprint [0-9a-f]+/,
    );
    const tampered = path.join(databases.temporaryDirectory(), 'tampered.vbk');
    const bytes = readFileSync(backupFile);
    bytes[bytes.length - 20]! ^= 0xff;
    writeFileSync(tampered, bytes);
    expectCleanFailure(await vigil(source.environment, 'backup', 'verify', tampered), /fails authentication/);
    expectCleanFailure(await vigil(source.environment, 'restore', tampered, '--force'), /fails authentication/);
    expectCleanFailure(
      await vigil(source.environment, 'restore', path.join(databases.temporaryDirectory(), 'nope.vbk')),
      /no such file/,
    );
    expect(await source.withOwner(readAllRows)).toEqual(rowsBefore);
  });

  it('rejects contradictory targets as a usage error', async () => {
    const result = await vigil(
      source.environment,
      'restore',
      backupFile,
      '--into',
      'postgres://x@y/z',
      '--data-dir',
      '/tmp/x',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--into or --data-dir, not both');
  });
});
