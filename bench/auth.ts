// Identity throughput, each figure as a ratio to a baseline measured in the same run:
//  - authenticated requests/s (Bearer JWT through the full pipeline) vs a bare Fastify route, and
//    vs Vigil's own pipeline on a public route (what authentication adds), and beside the floor:
//    bare Fastify plus only what every API response must carry (request id, security headers,
//    access-log line — bench/servers/fastify-floor.ts), the most any API route could reach;
//    an organisation route with no handler work (pipeline + authentication + authorisation), and
//    the deals list (plus its tenant transaction);
//  - refreshes/s (rotating refresh tokens, BENCH_CHAINS concurrent chains) vs the bare route,
//    and vs the database's ceiling: a bare route doing only the one rotating transaction;
//  - sign-ins/s vs the bcrypt bound (cores ÷ one bcrypt cost-12 hash, measured here), and vs
//    what this process measures bcrypt alone doing on every core at once under the same load;
//  - better-auth on the same database kind: get-session by cookie, and GET /token (JWT plugin:
//    a fresh access token from the session — its nearest equivalent of a refresh).
// Embedded PGlite by default; with DATABASE_URL (a role that may create databases and roles) both
// Vigil and better-auth run on PostgreSQL, each in a fresh database dropped afterwards.
//   npm run bench:auth      (BENCH_DURATION seconds per measurement, default 8)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { type BenchServer, startBenchServer } from './support/start-bench-server.ts';

const duration = Number(process.env.BENCH_DURATION ?? 8);
const chainCount = Number(process.env.BENCH_CHAINS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const roundSeconds = Math.max(3, Math.round(duration / 2));
const cores = availableParallelism();
const DEMO = { email: 'demo@vigil.test', password: 'demo-vigil-password-2026' };
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** CPU time (user + system) a process has used, in microseconds; null where /proc is missing. */
function cpuMicros(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/**
 * Requests per second, and the serving process's CPU per request: steadier than throughput when
 * the host is noisy (the scheduler's placement of server and load generator moves throughput by
 * up to 2×; the work per request moves far less).
 */
async function measured(options: autocannon.Options, server?: BenchServer) {
  const before = cpuMicros(server?.child.pid);
  const result = await autocannon({ connections: 32, duration, ...options });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const after = cpuMicros(server?.child.pid);
  const cpuPerRequest = before === null || after === null ? NaN : (after - before) / Math.max(1, result.requests.total);
  return { rate: result.requests.average, cpuPerRequest };
}

// Refresh chains post with a keep-alive agent (lighter on the shared cores than fetch).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function postJson(url: string, body: unknown): Promise<{ status: number; json: () => unknown }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, json: () => JSON.parse(text) as unknown });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

// PostgreSQL: fresh databases for Vigil (owner = DATABASE_URL's role, runtime login
// vigil_app_bench, which the migrator creates) and for better-auth.
const adminUrl = process.env.DATABASE_URL;
const suffix = randomBytes(4).toString('hex');
const databases = { vigil: `vigil_bench_${suffix}`, betterAuth: `better_auth_bench_${suffix}` };
const withDatabase = (url: string, name: string, user?: string) => {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  if (user) {
    parsed.username = user;
    parsed.password = '';
  }
  return parsed.toString();
};
async function administer(statements: string[]) {
  if (!adminUrl) return;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  for (const statement of statements) await client.query(statement);
  await client.end();
}
if (adminUrl) {
  await administer([`CREATE DATABASE ${databases.vigil}`, `CREATE DATABASE ${databases.betterAuth}`]);
  process.env.BENCH_DATABASE_URL = withDatabase(adminUrl, databases.vigil, 'vigil_app_bench');
  process.env.BENCH_MIGRATION_URL = withDatabase(adminUrl, databases.vigil);
  process.env.BENCH_BETTER_AUTH_URL = withDatabase(adminUrl, databases.betterAuth);
}
const databaseKind = adminUrl ? 'PostgreSQL' : 'embedded PGlite';

const loadAtStart = load();
const bare = await startBenchServer('bench/servers/bare-fastify.ts');
const floor = await startBenchServer('bench/servers/fastify-floor.ts');
const vigil = await startBenchServer('bench/servers/vigil-identity-server.ts');
const betterAuth = await startBenchServer('bench/servers/better-auth-server.ts');
try {
  const [orgId, rotationCeilingUrl] = vigil.extra as [string, string];
  const signIn = async () => {
    const response = await fetch(`${vigil.url}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(DEMO),
    });
    if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
    return (await response.json()) as { accessToken: string; refreshToken: string };
  };
  const { accessToken } = await signIn();
  const authorization = { authorization: `Bearer ${accessToken}` };

  const signUp = await fetch(`${betterAuth.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: betterAuth.url },
    body: JSON.stringify({ email: 'bench@example.test', password: 'bench-password-2026', name: 'Bench' }),
  });
  if (!signUp.ok) throw new Error(`better-auth sign-up failed: ${signUp.status} ${await signUp.text()}`);
  const betterAuthCookie = signUp.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');

  // Warm-up (JIT, connections, caches) before anything is counted.
  await autocannon({ url: `${bare.url}/healthz`, connections: 32, duration: 2 });
  await autocannon({ url: `${vigil.url}/api/orgs/${orgId}/bench-ping`, headers: authorization, duration: 2 });
  await autocannon({
    url: `${betterAuth.url}/api/auth/get-session`,
    headers: { cookie: betterAuthCookie },
    duration: 2,
  });

  // Alternating rounds, each figure's ratio taken against the bare route of its own round, and
  // the median of the rounds reported: other processes' load on shared cores drifts within a run.
  const targets = {
    floor: { url: `${floor.url}/api/floor` },
    pipeline: { url: `${vigil.url}/healthz` },
    ping: { url: `${vigil.url}/api/orgs/${orgId}/bench-ping`, headers: authorization },
    deals: { url: `${vigil.url}/api/orgs/${orgId}/deals`, headers: authorization },
    getSession: { url: `${betterAuth.url}/api/auth/get-session`, headers: { cookie: betterAuthCookie } },
    betterAuthToken: { url: `${betterAuth.url}/api/auth/token`, headers: { cookie: betterAuthCookie } },
  };
  const serverOf: Record<keyof typeof targets, BenchServer> = {
    floor,
    pipeline: vigil,
    ping: vigil,
    deals: vigil,
    getSession: betterAuth,
    betterAuthToken: betterAuth,
  };
  const roundsOf: Record<keyof typeof targets | 'bare', { rate: number; ratio: number; cpu: number }[]> = {
    bare: [],
    floor: [],
    pipeline: [],
    ping: [],
    deals: [],
    getSession: [],
    betterAuthToken: [],
  };
  for (let round = 0; round < rounds; round++) {
    const bareRound = await measured({ url: `${bare.url}/healthz`, duration: roundSeconds }, bare);
    roundsOf.bare.push({ rate: bareRound.rate, ratio: 1, cpu: bareRound.cpuPerRequest });
    for (const [name, target] of Object.entries(targets) as [keyof typeof targets, autocannon.Options][]) {
      const { rate, cpuPerRequest } = await measured({ ...target, duration: roundSeconds }, serverOf[name]);
      roundsOf[name].push({ rate, ratio: rate / bareRound.rate, cpu: cpuPerRequest });
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const figure = (name: keyof typeof roundsOf) => ({
    rate: median(roundsOf[name].map((entry) => entry.rate)),
    ratio: median(roundsOf[name].map((entry) => entry.ratio)),
    cpu: median(roundsOf[name].map((entry) => entry.cpu)),
  });
  const bareRate = figure('bare').rate;
  const bareCpu = figure('bare').cpu;
  const floorFigure = figure('floor');
  const pipeline = figure('pipeline');
  const ping = figure('ping');
  const deals = figure('deals');
  const getSession = figure('getSession');
  const betterAuthToken = figure('betterAuthToken');

  // Refresh chains: each refresh returns the next token, so a chain runs one request at a time.
  // Vigil's refresh route, then the database's ceiling (bare route, one rotating transaction) on
  // chains of their own: a token rotated by one must not be presented to the other.
  const refreshesPerSecond = async (url: string) => {
    const chains = [];
    for (let index = 0; index < chainCount; index++) chains.push(await signIn());
    let refreshes = 0;
    const deadline = performance.now() + duration * 1000;
    await Promise.all(
      chains.map(async (chain) => {
        let token = chain.refreshToken;
        while (performance.now() < deadline) {
          const response = await postJson(url, { refreshToken: token });
          if (response.status !== 200) throw new Error(`refresh at ${url} failed: ${response.status}`);
          token = (response.json() as { refreshToken: string }).refreshToken;
          refreshes += 1;
        }
      }),
    );
    return refreshes / duration;
  };
  const refreshRate = await refreshesPerSecond(`${vigil.url}/api/auth/refresh`);
  const rotationCeiling = await refreshesPerSecond(`${rotationCeilingUrl}/rotate`);

  // The bcrypt bound: cores ÷ one cost-12 hash (median of 5, one at a time) — and, as a check
  // under the machine's current load, what bcrypt alone achieves with every core busy.
  const samples: number[] = [];
  for (let index = 0; index < 5; index++) {
    const started = performance.now();
    await bcrypt.hash('benchmark-password', 12);
    samples.push(performance.now() - started);
  }
  const hashMs = samples.sort((a, b) => a - b)[2] as number;
  const bound = cores / (hashMs / 1000);
  const hashes = { done: 0 };
  const bcryptDeadline = performance.now() + Math.max(4, duration / 2) * 1000;
  const someHash = await bcrypt.hash('benchmark-password', 12);
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (performance.now() < bcryptDeadline) {
        await bcrypt.compare('benchmark-password', someHash);
        hashes.done += 1;
      }
    }),
  );
  const parallelBcrypt = hashes.done / Math.max(4, duration / 2);
  const { rate: signIns } = await measured({
    url: `${vigil.url}/api/auth/sign-in`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(DEMO),
    connections: cores * 2,
  });

  const row = (label: string, rate: number, unit: string, ratio: string) =>
    console.log(`${label.padEnd(52)}${rate.toFixed(rate < 100 ? 1 : 0).padStart(9)} ${unit.padEnd(6)} ${ratio}`);
  console.log(
    `${cores} cores, ${databaseKind}; ${rounds} alternating rounds of ${roundSeconds} s (medians of per-round ` +
      `ratios), ${duration} s for refresh and sign-in; load average ${loadAtStart} → ${load()}`,
  );
  row('bare Fastify GET /healthz', bareRate, 'req/s', '1.00');
  row(
    'floor: bare + request id, API headers, access log',
    floorFigure.rate,
    'req/s',
    `${floorFigure.ratio.toFixed(3)}   (the most any API route can reach here)`,
  );
  row('Vigil public GET /healthz (pipeline, no auth)', pipeline.rate, 'req/s', pipeline.ratio.toFixed(3));
  row('Vigil authenticated GET /api/orgs/:orgId/bench-ping', ping.rate, 'req/s', ping.ratio.toFixed(3));
  row('Vigil authenticated GET /api/orgs/:orgId/deals', deals.rate, 'req/s', deals.ratio.toFixed(3));
  row(
    'bare Fastify, one rotating transaction (ceiling)',
    rotationCeiling,
    '/s',
    `${(rotationCeiling / bareRate).toFixed(3)}   (the database's ceiling for any refresh)`,
  );
  row(
    `Vigil refresh (${chainCount} rotating chains)`,
    refreshRate,
    '/s',
    `${(refreshRate / bareRate).toFixed(3)}   (goal ≥ 0.5); ${(refreshRate / rotationCeiling).toFixed(2)} of the ceiling`,
  );
  console.log(
    `server CPU per request (medians): bare ${bareCpu.toFixed(1)} µs, floor ${floorFigure.cpu.toFixed(1)} µs ` +
      `(${(bareCpu / floorFigure.cpu).toFixed(3)}), Vigil public ${pipeline.cpu.toFixed(1)} µs ` +
      `(${(bareCpu / pipeline.cpu).toFixed(3)}), Vigil authenticated ${ping.cpu.toFixed(1)} µs ` +
      `(${(bareCpu / ping.cpu).toFixed(3)}) — the ratios as work per request, steadier than throughput`,
  );
  row('better-auth GET /api/auth/get-session (cookie)', getSession.rate, 'req/s', getSession.ratio.toFixed(3));
  row('better-auth GET /api/auth/token (JWT plugin)', betterAuthToken.rate, 'req/s', betterAuthToken.ratio.toFixed(3));
  console.log(
    `bcrypt cost 12: ${hashMs.toFixed(0)} ms per hash → bound ${bound.toFixed(1)} sign-ins/s; ` +
      `${parallelBcrypt.toFixed(1)} compares/s with ${cores} at once under this load`,
  );
  row(
    'Vigil sign-in POST /api/auth/sign-in',
    signIns,
    '/s',
    `${(signIns / bound).toFixed(2)} of the bcrypt bound, ${(signIns / parallelBcrypt).toFixed(2)} of bcrypt alone`,
  );
} finally {
  await bare.stop();
  await floor.stop();
  await vigil.stop();
  await betterAuth.stop();
  agent.destroy();
  await administer([
    `DROP DATABASE IF EXISTS ${databases.vigil} WITH (FORCE)`,
    `DROP DATABASE IF EXISTS ${databases.betterAuth} WITH (FORCE)`,
  ]);
}
