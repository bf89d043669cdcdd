#!/usr/bin/env node
// `npm test`: builds the web app (the browser tests load it), runs every vitest project
// (unit; integration + attacks on PGlite, and on PostgreSQL when DATABASE_URL is set; browser
// e2e when /usr/bin/chromium exists), then prints one plain summary line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const run = (command, args) => spawnSync(command, args, { stdio: 'inherit', env: process.env }).status ?? 1;

if (run('npx', ['vite', 'build', '--config', 'vite.config.ts', '--logLevel', 'warn']) !== 0) process.exit(1);
if (!process.env.DATABASE_URL)
  console.log('note: DATABASE_URL is not set, so the PostgreSQL project is skipped (PGlite only).');
if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'))
  console.log('note: no /usr/bin/chromium, so browser tests are skipped.');

mkdirSync('test-results', { recursive: true });
const status = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-results/vitest.json',
  ...process.argv.slice(2),
]);
if (existsSync('test-results/vitest.json')) {
  const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
}
process.exit(status);
