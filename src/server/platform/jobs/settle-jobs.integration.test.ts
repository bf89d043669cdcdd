import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { createControlledClock } from '../clock.ts';
import { claimJobs } from './claim-jobs.ts';
import { enqueueJobs } from './enqueue-job.ts';
import { leaseOf } from './job-lease.ts';
import { settleJobs } from './settle-jobs.ts';

let testDatabase: TestDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
});

afterAll(async () => {
  await testDatabase?.close();
});

describe(`job settlement (${testDatabaseKind})`, () => {
  it('keeps succeeded jobs, requeues deferred ones, deletes removed ones — only under a held lease', async () => {
    const { database } = testDatabase;
    const clock = createControlledClock(new Date('2026-06-01T12:00:00Z'));
    const keys = ['succeeded', 'deferred', 'removed', 'removed, lease lost'];
    await enqueueJobs(
      { database, clock },
      keys.map((key) => ({ kind: 'test.settle', payload: {}, idempotencyKey: key })),
    );
    const claimed = await claimJobs(
      { database, clock },
      { workerId: 'worker-a', kinds: ['test.settle'], leaseMs: 30_000, limit: 10 },
    );
    const byKey = new Map(claimed.map((job) => [job.idempotencyKey, leaseOf(job, 'worker-a')]));
    const lease = (key: string) => byKey.get(key) as ReturnType<typeof leaseOf>;
    const later = new Date(clock.now().getTime() + 60_000);

    const held = await settleJobs(database.query, clock.now(), [
      { lease: lease('succeeded'), outcome: 'succeeded' },
      { lease: lease('deferred'), outcome: 'deferred', runAt: later },
      { lease: lease('removed'), outcome: 'removed' },
      // Another worker's claim now (this lease's attempt count is stale): its row must stay.
      { lease: { ...lease('removed, lease lost'), attempts: 0 }, outcome: 'removed' },
    ]);

    expect([...held].sort()).toEqual(
      [lease('succeeded').jobId, lease('deferred').jobId, lease('removed').jobId].sort(),
    );
    const rows = await database.query<{ idempotency_key: string; state: string; attempts: number }>(
      "SELECT idempotency_key, state, attempts FROM jobs WHERE kind = 'test.settle' ORDER BY idempotency_key",
    );
    expect(rows).toEqual([
      { idempotency_key: 'deferred', state: 'queued', attempts: 0 },
      { idempotency_key: 'removed, lease lost', state: 'running', attempts: 1 },
      { idempotency_key: 'succeeded', state: 'succeeded', attempts: 1 },
    ]);
  });
});
