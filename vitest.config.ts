import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One suite, several projects:
//  - unit:     *.unit.test.ts, no database
//  - pglite:   integration and attack suites on the embedded database (always)
//  - postgres: the same files on the real PostgreSQL server when DATABASE_URL is set
//  - e2e:      browser tests in Debian's chromium when /usr/bin/chromium exists
const integration = ['src/**/*.integration.test.ts', 'test/**/*.integration.test.ts', 'test/attacks/**/*.test.ts'];
const hasPostgres = Boolean(process.env.DATABASE_URL);
const hasChromium = existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');

export default defineConfig({
  test: {
    pool: 'forks',
    // Vitest's default is one worker per core minus one: a single worker on a 2-core CI machine.
    // Most of the suite waits (bcrypt on the thread pool, PostgreSQL, chromium), so three files
    // at a time keep both cores busy. Every file uses its own database, ports and Redis key prefix.
    maxWorkers: Number(process.env.VIGIL_TEST_WORKERS ?? 3),
    // Safety nets against a hung test, not speed checks: generous, because three files share two
    // cores (and a CI machine may be busier still).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      { extends: true as const, test: { name: 'unit', include: ['src/**/*.unit.test.ts', 'test/**/*.unit.test.ts'] } },
      {
        extends: true as const,
        test: {
          name: 'pglite',
          include: integration,
          env: { VIGIL_TEST_DB: 'pglite' },
          globalSetup: ['test/helpers/pglite-snapshot.global-setup.ts'],
        },
      },
      ...(hasPostgres
        ? [
            {
              extends: true as const,
              test: { name: 'postgres', include: integration, env: { VIGIL_TEST_DB: 'postgres' } },
            },
          ]
        : []),
      ...(hasChromium
        ? [
            {
              extends: true as const,
              test: {
                name: 'e2e',
                include: ['test/e2e/**/*.e2e.test.ts'],
                testTimeout: 120_000,
                // Each file has its own server, database and browser, and mostly waits on them, so
                // two files at a time roughly halve the wall time even on two cores. Its own group
                // (after the others) because vitest runs one group with one worker limit.
                maxWorkers: 2,
                sequence: { groupOrder: 1 },
              },
            },
          ]
        : []),
    ],
  },
});
