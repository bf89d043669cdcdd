// Organisation-scoped reads, each figure a ratio to a baseline measured in the same run:
//  - an authenticated, organisation-scoped list of 50 deals (JWT + permission + RLS-scoped
//    transaction + query) vs a bare Fastify route returning the same 50 rows from memory
//    (goal ≥ 0.5), and vs the database's ceiling: a bare Fastify route running the same scoped
//    transaction and query on the same database, which bounds what any database-backed route
//    can reach here;
//  - on PostgreSQL, the same 50-row query with row-level security on (runtime role, forced RLS,
//    org set per transaction) vs off (the owner, which bypasses RLS) (goal ≥ 0.9).
//   npm run bench:organisations                      (PGlite)
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:organisations
import autocannon from 'autocannon';
import { loadavg } from 'node:os';
import pg from 'pg';
import { startBenchServer } from './support/start-bench-server.ts';

const duration = Number(process.env.BENCH_DURATION ?? 8);

async function requestsPerSecond(options: autocannon.Options): Promise<number> {
  const result = await autocannon({ connections: 32, duration, ...options });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/** Queries per second of `run` with `concurrency` loops in flight, for `seconds`. */
async function queriesPerSecond(run: () => Promise<void>, concurrency: number, seconds: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await run();
        done += 1;
      }
    }),
  );
  return done / seconds;
}

const bare = await startBenchServer('bench/servers/bare-fastify-rows.ts');
const vigil = await startBenchServer('bench/servers/vigil-organisation-server.ts');
try {
  const [orgId, accessToken, kind, ceilingUrl] = vigil.extra as [string, string, string, string];
  const vigilUrl = `${vigil.url}/api/orgs/${orgId}/deals?limit=50`;
  const check = await fetch(vigilUrl, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = (await check.json()) as { items: unknown[] };
  if (!check.ok || body.items.length !== 50) throw new Error(`the Vigil route answered ${check.status}`);

  await autocannon({ url: `${bare.url}/deals`, connections: 32, duration: 2 });
  await autocannon({
    url: vigilUrl,
    headers: { authorization: `Bearer ${accessToken}` },
    connections: 32,
    duration: 2,
  });
  // Alternate rounds so drift on a shared machine hits both sides alike; report the medians.
  await autocannon({ url: `${ceilingUrl}/deals`, connections: 32, duration: 2 });
  const bareRates: number[] = [];
  const ceilingRates: number[] = [];
  const vigilRates: number[] = [];
  for (let round = 0; round < 3; round++) {
    bareRates.push(await requestsPerSecond({ url: `${bare.url}/deals` }));
    ceilingRates.push(await requestsPerSecond({ url: `${ceilingUrl}/deals` }));
    vigilRates.push(await requestsPerSecond({ url: vigilUrl, headers: { authorization: `Bearer ${accessToken}` } }));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const bareRate = median(bareRates);
  const ceilingRate = median(ceilingRates);
  const vigilRate = median(vigilRates);
  const line = (label: string, rate: number, ratio: string) =>
    console.log(`${label.padEnd(52)} ${rate.toFixed(0).padStart(8)} req/s   ${ratio}`);
  console.log(
    `database: ${kind}; 3 alternating rounds of ${duration} s, medians; load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  line('bare Fastify, 50 rows from memory', bareRate, '1.00');
  line(
    'bare Fastify, same scoped transaction + query',
    ceilingRate,
    `${(ceilingRate / bareRate).toFixed(2)}   (the database's ceiling)`,
  );
  line(
    'Vigil GET /api/orgs/:orgId/deals (50 rows)',
    vigilRate,
    `${(vigilRate / bareRate).toFixed(2)}   (goal ≥ 0.5); ${(vigilRate / ceilingRate).toFixed(2)} of the ceiling`,
  );
} finally {
  await vigil.stop();
  await bare.stop();
}

if (process.env.DATABASE_URL) {
  // RLS on vs off: the same statement, the same data, one pool each.
  process.env.VIGIL_TEST_DB = 'postgres';
  const { createTestDatabase, RUNTIME_TEST_LOGIN } = await import('../test/helpers/test-database.ts');
  const testDatabase = await createTestDatabase();
  try {
    const orgId = '0190a0b0-0000-7000-8000-00000000aaaa';
    await testDatabase.adminQuery("INSERT INTO organisations (id, slug, name) VALUES ($1, 'rls-bench', 'RLS bench')", [
      orgId,
    ]);
    // Other organisations' rows too, so the policy has something to filter.
    await testDatabase.adminQuery(
      "INSERT INTO organisations (id, slug, name) SELECT gen_random_uuid(), 'rls-other-' || n, 'Other' FROM generate_series(1, 20) n",
    );
    await testDatabase.adminQuery(
      "INSERT INTO deals (org_id, id, name, stage) SELECT o.id, gen_random_uuid(), 'Deal ' || n, 'proposal' FROM organisations o, generate_series(1, 50) n",
    );
    const config = testDatabase.databaseConfig as { url: string; migrationUrl: string };
    const withRls = new pg.Pool({ connectionString: config.url, max: 4 });
    const withoutRls = new pg.Pool({ connectionString: config.migrationUrl, max: 4 });
    const statement =
      'SELECT id, name, stage, amount_minor, currency, close_date, owner_name, updated_at FROM deals WHERE org_id = $1 ORDER BY id LIMIT 50';
    const inTransaction = (pool: pg.Pool) => async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query("SELECT set_config('app.org_id', $1, true)", [orgId]);
        const result = await client.query(statement, [orgId]);
        if (result.rowCount !== 50) throw new Error(`expected 50 rows, got ${result.rowCount}`);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    };
    const on = inTransaction(withRls);
    const off = inTransaction(withoutRls);
    await queriesPerSecond(on, 4, 1);
    await queriesPerSecond(off, 4, 1);
    const onRates: number[] = [];
    const offRates: number[] = [];
    for (let round = 0; round < 3; round++) {
      offRates.push(await queriesPerSecond(off, 4, duration / 2));
      onRates.push(await queriesPerSecond(on, 4, duration / 2));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[1] as number;
    const rlsOn = median(onRates);
    const rlsOff = median(offRates);
    console.log(`same 50-row query, RLS off (owner)           ${rlsOff.toFixed(0).padStart(8)} tx/s    1.00`);
    console.log(
      `same 50-row query, RLS on (${RUNTIME_TEST_LOGIN})   ${rlsOn.toFixed(0).padStart(8)} tx/s    ${(rlsOn / rlsOff).toFixed(2)}   (goal ≥ 0.9)`,
    );
    await withRls.end();
    await withoutRls.end();
  } finally {
    await testDatabase.close();
  }
}
