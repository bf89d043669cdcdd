// Backup and restore throughput of `vigil backup` / `vigil restore` (pg_dump + gzip + AES-GCM
// chunks; decrypt to a checked temp file + one-transaction restore + verification) as ratios to
// plain `pg_dump -Fc` / `pg_restore` of the same database in the same run.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:backup
//   BENCH_ROWS=200000 ...        (deals rows to seed, default 1 000 000)
// DATABASE_URL must be a role that may create databases; everything created is dropped again.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runCli } from '../src/cli/main.ts';
import { migratePostgres } from '../src/server/platform/db/open-database.ts';

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) throw new Error('set DATABASE_URL to a PostgreSQL role that may create databases');
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const suffix = randomBytes(4).toString('hex');
const names = { source: `vigil_bench_${suffix}`, vigil: `vigil_bench_${suffix}_vr`, plain: `vigil_bench_${suffix}_pr` };
const directory = mkdtempSync(path.join(tmpdir(), 'vigil-bench-backup-'));

function urlOf(database: string): string {
  const url = new URL(adminUrl!);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin(text: string, database = 'postgres'): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function run(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
}

/** Peak resident memory of this process while `work` runs (the vigil commands run in-process). */
async function timed(work: () => Promise<void>): Promise<{ seconds: number; peakRssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakRssMiB: peak / 2 ** 20 };
}

async function vigil(...argv: string[]): Promise<void> {
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: () => true },
    stderr: { write: (text: string) => (stderr += text) },
    environment: {
      VIGIL_PROFILE: 'test',
      VIGIL_DATA_DIR: directory,
      DATABASE_URL: urlOf(names.source),
      LOG_LEVEL: 'silent',
    },
  });
  if (code !== 0) throw new Error(`vigil ${argv.join(' ')} failed (${code}): ${stderr}`);
}

async function main() {
  await admin(`CREATE DATABASE ${names.source}`);
  try {
    process.stdout.write(`seeding ${rows} deals ... `);
    await migratePostgres(urlOf(names.source), urlOf(names.source));
    // As the owner (superuser here): row-level security does not apply to the bulk insert.
    await admin(
      `INSERT INTO organisations (id, slug, name)
         SELECT gen_random_uuid(), 'org-' || g, 'Organisation ' || g FROM generate_series(1, 100) g;
       INSERT INTO deals (org_id, id, name, stage, amount_minor, currency, close_date, owner_name)
         SELECT o.ids[1 + g % 100], gen_random_uuid(), 'Deal ' || g || ' with a plausible, not too short name',
                (ARRAY['discovery', 'proposal', 'negotiation', 'won', 'lost'])[1 + g % 5], (g::bigint * 7919) % 10000000, 'EUR',
                DATE '2026-01-01' + (g % 365), 'Owner ' || (g % 250)
           FROM generate_series(1, ${rows}) g, (SELECT array_agg(id) AS ids FROM organisations) o`,
      names.source,
    );
    await admin('VACUUM ANALYZE deals', names.source);
    const [size] = (await admin(`SELECT pg_database_size(current_database())::bigint AS bytes`, names.source)).rows as {
      bytes: string;
    }[];
    const databaseMiB = Number(size?.bytes) / 2 ** 20;
    process.stdout.write(`database ${databaseMiB.toFixed(0)} MiB\n`);

    const vigilFile = path.join(directory, 'bench.vbk');
    const plainFile = path.join(directory, 'bench.dump');
    const vigilBackup = await timed(() => vigil('backup', '--out', vigilFile));
    const plainBackup = await timed(() =>
      run('pg_dump', ['--format=custom', '--file', plainFile, urlOf(names.source)]),
    );

    await admin(`CREATE DATABASE ${names.vigil}`);
    await admin(`CREATE DATABASE ${names.plain}`);
    const vigilRestore = await timed(() => vigil('restore', vigilFile, '--into', urlOf(names.vigil)));
    const plainRestore = await timed(() =>
      run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', urlOf(names.plain), plainFile]),
    );

    const line = (label: string, result: { seconds: number; peakRssMiB: number }, file?: string) =>
      `${label.padEnd(28)} ${result.seconds.toFixed(2).padStart(7)} s  ${(databaseMiB / result.seconds).toFixed(1).padStart(7)} MB/s  ` +
      `${Math.round(rows / result.seconds)
        .toString()
        .padStart(9)} rows/s` +
      (file ? `  file ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB` : '');
    console.log(`\n${rows} deals rows, database ${databaseMiB.toFixed(0)} MiB (MB/s = database size / time)`);
    console.log(line('vigil backup', vigilBackup, vigilFile));
    console.log(line('pg_dump -Fc', plainBackup, plainFile));
    console.log(line('vigil restore (+verify)', vigilRestore));
    console.log(line('pg_restore', plainRestore));
    console.log(
      `\nratios (vigil / plain, time): backup ${(vigilBackup.seconds / plainBackup.seconds).toFixed(2)}x, ` +
        `restore ${(vigilRestore.seconds / plainRestore.seconds).toFixed(2)}x`,
    );
    console.log(
      `peak RSS of this process during vigil backup ${vigilBackup.peakRssMiB.toFixed(0)} MiB, ` +
        `vigil restore ${vigilRestore.peakRssMiB.toFixed(0)} MiB (streaming: independent of database size)`,
    );
  } finally {
    for (const name of [names.plain, names.vigil, names.source]) {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
