// Identity throughput, each figure as a ratio to a baseline measured in the same run:
//  - authenticated requests/s (Bearer JWT, full pipeline, tenant query) vs a bare Fastify route;
//  - sign-ins/s vs the bcrypt bound (cores ÷ one bcrypt cost-12 hash time, measured here);
//  - refreshes/s (rotating refresh tokens, 8 concurrent chains), reported against the bare route.
//   npx tsx bench/auth.ts      (BENCH_DURATION seconds per measurement, default 8)
import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';
import { startBenchServer } from './support/start-bench-server.ts';
import bcrypt from 'bcrypt';

const duration = Number(process.env.BENCH_DURATION ?? 8);
const DEMO = { email: 'demo@vigil.test', password: 'demo-vigil-password-2026' };

async function requestsPerSecond(options: autocannon.Options): Promise<number> {
  const result = await autocannon({ connections: 32, duration, ...options });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const bare = await startBenchServer('bench/servers/bare-fastify.ts');
const vigil = await startBenchServer('bench/servers/vigil-identity-server.ts');
try {
  const orgId = vigil.extra[0] as string;
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

  await autocannon({ url: `${bare.url}/healthz`, connections: 32, duration: 2 });
  const bareRate = await requestsPerSecond({ url: `${bare.url}/healthz` });
  const authenticated = await requestsPerSecond({
    url: `${vigil.url}/api/orgs/${orgId}/deals`,
    headers: { authorization: `Bearer ${accessToken}` },
  });

  // The bcrypt bound: how many cost-12 hashes per second this machine's cores can do at best.
  const samples: number[] = [];
  for (let index = 0; index < 5; index++) {
    const started = performance.now();
    await bcrypt.hash('benchmark-password', 12);
    samples.push(performance.now() - started);
  }
  const hashMs = samples.sort((a, b) => a - b)[2] as number;
  const bound = availableParallelism() / (hashMs / 1000);
  const signIns = await requestsPerSecond({
    url: `${vigil.url}/api/auth/sign-in`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(DEMO),
    connections: availableParallelism() * 2,
  });

  // Refresh chains: each refresh returns the next token, so chains run one request at a time.
  const chains = await Promise.all(Array.from({ length: 8 }, () => signIn()));
  let refreshes = 0;
  const deadline = performance.now() + duration * 1000;
  await Promise.all(
    chains.map(async (chain) => {
      let token = chain.refreshToken;
      while (performance.now() < deadline) {
        const response = await fetch(`${vigil.url}/api/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: token }),
        });
        if (!response.ok) throw new Error(`refresh failed: ${response.status}`);
        token = ((await response.json()) as { refreshToken: string }).refreshToken;
        refreshes += 1;
      }
    }),
  );
  const refreshRate = refreshes / duration;

  console.log(`${availableParallelism()} cores, ${duration} s per measurement, embedded database`);
  console.log(`bare Fastify GET /healthz                   ${bareRate.toFixed(0).padStart(8)} req/s   1.00`);
  console.log(
    `authenticated GET /api/orgs/:orgId/deals    ${authenticated.toFixed(0).padStart(8)} req/s   ${(authenticated / bareRate).toFixed(3)}`,
  );
  console.log(
    `refresh (8 rotating chains)                 ${refreshRate.toFixed(0).padStart(8)} /s      ${(refreshRate / bareRate).toFixed(3)}`,
  );
  console.log(`bcrypt cost 12: ${hashMs.toFixed(0)} ms per hash → bound ${bound.toFixed(1)} sign-ins/s`);
  console.log(
    `sign-in POST /api/auth/sign-in              ${signIns.toFixed(1).padStart(8)} /s      ${(signIns / bound).toFixed(2)} of the bcrypt bound`,
  );
} finally {
  await bare.stop();
  await vigil.stop();
}
