// Throughput of Vigil's full request pipeline on a public route, as a ratio to a bare Fastify
// route measured in the same run on the same machine. Servers run in their own processes;
// autocannon drives them from this one over loopback.
//   npm run bench                      (BENCH_DURATION=seconds per round, default 8)
import autocannon from 'autocannon';
import { startBenchServer } from './support/start-bench-server.ts';

const duration = Number(process.env.BENCH_DURATION ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

async function measure(url: string): Promise<number> {
  const result = await autocannon({ url, connections, duration, pipelining: 1 });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const bare = await startBenchServer('bench/servers/bare-fastify.ts');
const vigil = await startBenchServer('bench/servers/vigil-server.ts');
try {
  // Warm both up (JIT, connection setup) before counting.
  await autocannon({ url: `${bare.url}/healthz`, connections, duration: 2 });
  await autocannon({ url: `${vigil.url}/healthz`, connections, duration: 2 });
  const bareRates: number[] = [];
  const vigilRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    bareRates.push(await measure(`${bare.url}/healthz`));
    vigilRates.push(await measure(`${vigil.url}/healthz`));
  }
  const bareRate = median(bareRates);
  const vigilRate = median(vigilRates);
  console.log(`autocannon -c ${connections} -d ${duration}, ${rounds} alternating rounds, medians`);
  console.log(`bare Fastify GET /healthz            ${bareRate.toFixed(0).padStart(8)} req/s   1.00`);
  console.log(
    `Vigil pipeline GET /healthz          ${vigilRate.toFixed(0).padStart(8)} req/s   ${(vigilRate / bareRate).toFixed(2)}`,
  );
  console.log(`ratio vigil/bare: ${(vigilRate / bareRate).toFixed(3)}`);
} finally {
  await bare.stop();
  await vigil.stop();
}
