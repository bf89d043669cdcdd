// Edge costs as ratios measured in the same run:
//  - requests/s through the token-bucket limiter (memory, Redis) vs the same route without it;
//  - HTTPS vs HTTP: keep-alive request rate, and new TLS handshakes/s vs new TCP connections/s.
//   npm run bench:edge       (BENCH_DURATION seconds per measurement, default 6)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import autocannon from 'autocannon';
import { startBenchServer } from './support/start-bench-server.ts';
import { writeSelfSignedCertificate } from '../src/server/platform/http/self-signed-certificate.ts';
import { TLS_CIPHERS } from '../src/server/platform/http/tls.ts';

const duration = Number(process.env.BENCH_DURATION ?? 6);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const rate = async (url: string, extra: Partial<autocannon.Options> = {}) => {
  const result = await autocannon({ url, method: 'POST', connections: 32, duration, ...extra });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
};

// 1. The limiter, on Vigil's full pipeline: the same POST route with and without it.
let plain = 0;
let memory = 0;
let redis = 0;
for (const storeKind of ['redis', 'memory'] as const) {
  process.env.STORE = storeKind;
  const server = await startBenchServer('bench/servers/rate-limit-server.ts');
  try {
    await autocannon({ url: `${server.url}/api/bench/unlimited`, method: 'POST', connections: 32, duration: 2 });
    // Rounds of one measurement each, the order swapped every round so that drift within a run
    // favours neither; the median of the per-round ratios is reported.
    const ratios: number[] = [];
    const withoutRates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['limited', 'unlimited'] as const) : (['unlimited', 'limited'] as const);
      const measured: Record<string, number> = {};
      for (const name of order) measured[name] = await rate(`${server.url}/api/bench/${name}`);
      ratios.push((measured.limited as number) / (measured.unlimited as number));
      withoutRates.push(measured.unlimited as number);
    }
    if (storeKind === 'memory') {
      plain = median(withoutRates);
      memory = median(ratios);
    } else redis = median(ratios);
  } finally {
    await server.stop();
  }
}

// 2. HTTPS vs HTTP, in this process, one tiny handler each.
const directory = mkdtempSync(path.join(tmpdir(), 'vigil-bench-tls-'));
writeSelfSignedCertificate({ directory, days: 1 });
const handler = (_request: unknown, response: { end(body: string): void }) => response.end('{"ok":true}');
const http = createHttpServer(handler);
const https = createHttpsServer(
  {
    key: readFileSync(path.join(directory, 'key.pem')),
    cert: readFileSync(path.join(directory, 'cert.pem')),
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
  },
  handler,
);
await Promise.all([
  new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve)),
  new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve)),
]);
const httpPort = (http.address() as { port: number }).port;
const httpsPort = (https.address() as { port: number }).port;

async function connectionsPerSecond(connectOnce: () => Promise<void>): Promise<number> {
  let count = 0;
  const deadline = performance.now() + duration * 1000;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < deadline) {
        await connectOnce();
        count += 1;
      }
    }),
  );
  return count / duration;
}
let httpRequests = 0;
let httpsRequests = 0;
let tcp = 0;
let tls = 0;
try {
  httpRequests = await rate(`http://127.0.0.1:${httpPort}/`, { method: 'GET' });
  // autocannon cannot skip certificate checks for a self-signed certificate through options, so
  // the keep-alive rate over TLS is measured with the same tool and NODE_TLS_REJECT_UNAUTHORIZED.
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  httpsRequests = await rate(`https://127.0.0.1:${httpsPort}/`, { method: 'GET' });
  tcp = await connectionsPerSecond(
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = netConnect({ host: '127.0.0.1', port: httpPort }, () => {
          socket.destroy();
          resolve();
        });
        socket.on('error', reject);
      }),
  );
  tls = await connectionsPerSecond(
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = tlsConnect(
          { host: '127.0.0.1', port: httpsPort, rejectUnauthorized: false, session: undefined },
          () => {
            socket.destroy();
            resolve();
          },
        );
        socket.on('error', reject);
      }),
  );
} finally {
  http.close();
  https.close();
  rmSync(directory, { recursive: true, force: true });
}

console.log(
  `autocannon -c 32 -d ${duration}; limiter figures: median of ${rounds} per-round ratios, order swapped each round; load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`,
);
console.log(`Vigil POST route without limiter ${plain.toFixed(0).padStart(7)} req/s   1.00`);
console.log(`same route, memory token bucket                  ${memory.toFixed(2)}   (goal ≥ 0.9)`);
console.log(`same route, Redis token bucket                   ${redis.toFixed(2)}   (goal ≥ 0.7)`);
console.log(`GET over HTTP (keep-alive)      ${httpRequests.toFixed(0).padStart(8)} req/s   1.00`);
console.log(
  `GET over HTTPS (keep-alive)     ${httpsRequests.toFixed(0).padStart(8)} req/s   ${(httpsRequests / httpRequests).toFixed(2)}`,
);
console.log(`new TCP connections             ${tcp.toFixed(0).padStart(8)} /s      1.00`);
console.log(`new TLS handshakes (ECDSA P-256)${tls.toFixed(0).padStart(8)} /s      ${(tls / tcp).toFixed(2)}`);
