// Migrations are forward-only and atomic; the CLI migrates, seeds once and refuses unsafe roles.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import type { MigrationConnection } from '../../src/server/platform/db/database.ts';
import { applyMigrations, readMigrationFiles } from '../../src/server/platform/db/migrations.ts';
import { openPglite } from '../../src/server/platform/db/open-pglite.ts';
import { openPostgresMigrationConnection } from '../../src/server/platform/db/open-postgres.ts';
import { createTestDatabase, testDatabaseKind } from '../helpers/test-database.ts';

const temporaryDirectories: string[] = [];
function temporaryDirectory(): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'vigil-test-'));
  temporaryDirectories.push(directory);
  return directory;
}

afterAll(() => {
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
});

function captureIo(environment: Record<string, string | undefined>) {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      environment,
    },
    output: () => ({ stdout, stderr }),
  };
}

describe(`migrations (${testDatabaseKind})`, () => {
  it('applies a failing migration not at all, and refuses edited history', async () => {
    // The owner connection of a fresh database: PGlite's own session, or PostgreSQL's owner URL.
    const testDatabase = testDatabaseKind === 'postgres' ? await createTestDatabase() : null;
    const embedded = testDatabase ? null : await openPglite({ dataDir: null });
    const connection =
      testDatabase?.databaseConfig.kind === 'postgres'
        ? await openPostgresMigrationConnection(testDatabase.databaseConfig.migrationUrl)
        : (embedded?.migrationConnection as MigrationConnection);
    try {
      const files = readMigrationFiles();
      await applyMigrations(connection, { files });
      const broken = {
        name: '9999_broken.sql',
        checksum: 'x',
        sql: 'CREATE TABLE half_done (id int); SELECT * FROM table_that_does_not_exist;',
      };
      await expect(applyMigrations(connection, { files: [...files, broken] })).rejects.toThrow();
      expect(await connection.query("SELECT 1 FROM pg_tables WHERE tablename = 'half_done'")).toHaveLength(0);
      expect(await connection.query("SELECT 1 FROM vigil_migrations WHERE name = '9999_broken.sql'")).toHaveLength(0);

      const edited = files.map((file, index) => (index === 0 ? { ...file, checksum: 'edited' } : file));
      await expect(applyMigrations(connection, { files: edited })).rejects.toThrow(/edited after it was applied/);
      expect(await applyMigrations(connection, { files })).toEqual([]);
    } finally {
      await connection.close();
      await testDatabase?.close();
    }
  });
});

describe(`vigil CLI (${testDatabaseKind})`, () => {
  it('prints help for the tool and for each command', async () => {
    const top = captureIo({});
    expect(await runCli(['--help'], top.io)).toBe(0);
    for (const name of ['serve', 'worker', 'migrate', 'demo seed']) expect(top.output().stdout).toContain(name);
    for (const command of [['serve'], ['worker'], ['migrate'], ['demo', 'seed']]) {
      const one = captureIo({});
      expect(await runCli([...command, '--help'], one.io)).toBe(0);
      expect(one.output().stdout).toContain(`Usage: vigil ${command.join(' ')}`);
    }
    const unknown = captureIo({});
    expect(await runCli(['launch'], unknown.io)).toBe(2);
    expect(unknown.output().stderr).toContain('unknown command');
  });

  it('reports configuration problems with a clear message and exit code 78', async () => {
    const bad = captureIo({ PORT: 'not-a-port', VIGIL_PROFILE: 'production' });
    expect(await runCli(['migrate'], bad.io)).toBe(78);
    expect(bad.output().stderr).toMatch(/PORT/);
  });

  it('migrates and seeds the demo organisation once', async () => {
    let environment: Record<string, string>;
    let cleanup: () => Promise<void>;
    if (testDatabaseKind === 'pglite') {
      environment = { VIGIL_DATA_DIR: temporaryDirectory(), LOG_LEVEL: 'silent' };
      cleanup = async () => {};
    } else {
      // A throwaway database whose tables the CLI creates itself.
      const testDatabase = await createTestDatabase();
      if (testDatabase.databaseConfig.kind !== 'postgres') throw new Error('unreachable');
      await testDatabase.adminQuery('DROP SCHEMA public CASCADE');
      await testDatabase.adminQuery('CREATE SCHEMA public');
      environment = {
        DATABASE_URL: testDatabase.databaseConfig.url,
        DATABASE_MIGRATION_URL: testDatabase.databaseConfig.migrationUrl,
        LOG_LEVEL: 'silent',
      };
      cleanup = () => testDatabase.close();
    }
    try {
      const first = captureIo(environment);
      expect(await runCli(['migrate'], first.io)).toBe(0);
      expect(first.output().stdout).toContain('0001_foundation.sql');
      const again = captureIo(environment);
      expect(await runCli(['migrate'], again.io)).toBe(0);
      expect(again.output().stdout).toMatch(/up to date/);
      const seed = captureIo(environment);
      expect(await runCli(['demo', 'seed'], seed.io)).toBe(0);
      expect(seed.output().stdout).toMatch(/Demo organisation created/);
      const reseed = captureIo(environment);
      expect(await runCli(['demo', 'seed'], reseed.io)).toBe(0);
      expect(reseed.output().stdout).toMatch(/already exists/);
      if (testDatabaseKind === 'pglite') {
        const first = captureIo(environment);
        expect(await runCli(['keys', 'rotate'], first.io)).toBe(0);
        expect(first.output().stdout).toMatch(/data key v1 is active; 0 value\(s\) re-encrypted; retired none/);
        const rotate = captureIo(environment);
        expect(await runCli(['keys', 'rotate'], rotate.io)).toBe(0);
        expect(rotate.output().stdout).toMatch(/data key v2 is active; 0 value\(s\) re-encrypted; retired v1/);
      }
      const rotateJwt = captureIo(environment);
      expect(await runCli(['keys', 'rotate-jwt'], rotateJwt.io)).toBe(0);
      expect(rotateJwt.output().stdout).toMatch(/Signing key [0-9a-f-]{36} is active/);
      const verify = captureIo(environment);
      expect(await runCli(['audit', 'verify'], verify.io)).toBe(0);
      expect(verify.output().stdout).toMatch(/All audit chains verify/);
      const badOrg = captureIo(environment);
      expect(await runCli(['audit', 'verify', '--org', 'nope'], badOrg.io)).toBe(2);
      expect(badOrg.output().stderr).toMatch(/--org must be/);
      if (testDatabaseKind === 'pglite') {
        const embedded = await openPglite({ dataDir: path.join(environment.VIGIL_DATA_DIR as string, 'pglite') });
        try {
          const [count] = await embedded.database.query<{ count: number }>('SELECT count(*)::int AS count FROM deals');
          expect(count?.count).toBe(5);
        } finally {
          await embedded.database.close();
        }
      }
    } finally {
      await cleanup();
    }
  });

  it.runIf(testDatabaseKind === 'postgres')('refuses to serve as a superuser role (RLS would not apply)', async () => {
    const testDatabase = await createTestDatabase();
    try {
      if (testDatabase.databaseConfig.kind !== 'postgres') throw new Error('unreachable');
      const superuserUrl = testDatabase.databaseConfig.migrationUrl;
      const cli = captureIo({ DATABASE_URL: superuserUrl, LOG_LEVEL: 'silent', PORT: '0' });
      expect(await runCli(['demo', 'seed'], cli.io)).toBe(78);
      expect(cli.output().stderr).toMatch(/SUPERUSER/);
    } finally {
      await testDatabase.close();
    }
  });

  it('keeps a master key file out of reach of a bad path', async () => {
    const directory = temporaryDirectory();
    writeFileSync(path.join(directory, 'key'), 'too-short');
    const cli = captureIo({ VIGIL_MASTER_KEY_FILE: path.join(directory, 'key') });
    expect(await runCli(['migrate'], cli.io)).toBe(78);
    expect(cli.output().stderr).toMatch(/VIGIL_MASTER_KEY_FILE/);
  });
});
