// Baseline for bench/organisations.ts: a bare Fastify 5 route returning the same 50 deal rows
// from memory (no authentication, no database).
import Fastify from 'fastify';

const items = Array.from({ length: 50 }, (_, index) => ({
  id: `0190a0b0-0000-7000-8000-${String(index).padStart(12, '0')}`,
  name: `Bench deal ${index}`,
  stage: 'proposal',
  amountMinor: 1_000_000 + index,
  currency: 'USD',
  closeDate: '2026-12-31',
  ownerName: 'Bench Owner',
  updatedAt: '2026-11-22T00:00:00.000Z',
}));
const app = Fastify({ logger: false });
app.get('/deals', async () => ({ items, nextCursor: null }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`READY ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
