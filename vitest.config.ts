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
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      { extends: true as const, test: { name: 'unit', include: ['src/**/*.unit.test.ts', 'test/**/*.unit.test.ts'] } },
      { extends: true as const, test: { name: 'pglite', include: integration, env: { VIGIL_TEST_DB: 'pglite' } } },
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
                testTimeout: 60_000,
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
