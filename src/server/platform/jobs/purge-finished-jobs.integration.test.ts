import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { startTestVigil, testBackgroundJobs } from '../../../../test/helpers/test-vigil.ts';
import { createControlledClock } from '../clock.ts';
import { randomBytes } from 'node:crypto';
import {
  FINISHED_JOB_RETENTION_MS,
  firstUuidV7At,
  JOB_PURGE_SCHEDULE,
  purgeFinishedJobs,
} from './purge-finished-jobs.ts';

/** A UUIDv7 of `time` (job ids carry their creation time; the clock here is not the real one). */
function uuidV7At(time: Date): string {
  const random = randomBytes(10).toString('hex');
  return firstUuidV7At(time).slice(0, 15) + random.slice(0, 3) + '-8' + random.slice(3, 6) + '-' + random.slice(8, 20);
}

let testDatabase: TestDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
});

afterAll(async () => {
  await testDatabase?.close();
});

const DAY = 86_400_000;

describe(`finished-job purge (${testDatabaseKind})`, () => {
  it('deletes jobs finished more than 30 days ago, in batches, and never an unfinished one', async () => {
    const clock = createControlledClock(new Date('2026-06-01T12:00:00Z'));
    const now = clock.now().getTime();
    const ago = (ms: number) => new Date(now - ms).toISOString();
    const jobs = [
      { name: 'succeeded 31 days ago', state: 'succeeded', finishedAt: ago(31 * DAY), purged: true },
      { name: 'failed 40 days ago', state: 'failed', finishedAt: ago(40 * DAY), purged: true },
      { name: 'succeeded 45 days ago', state: 'succeeded', finishedAt: ago(45 * DAY), purged: true },
      {
        name: 'succeeded just inside the window',
        state: 'succeeded',
        finishedAt: ago(FINISHED_JOB_RETENTION_MS - 1000),
        purged: false,
      },
      { name: 'failed yesterday', state: 'failed', finishedAt: ago(DAY), purged: false },
      { name: 'queued since 60 days', state: 'queued', finishedAt: null, purged: false },
      { name: 'running since 60 days', state: 'running', finishedAt: null, purged: false },
    ].map((job) => ({ ...job, id: uuidV7At(new Date(now - 60 * DAY)) }));
    for (const job of jobs) {
      await testDatabase.database.query(
        `INSERT INTO jobs (id, kind, payload, state, run_at, created_at, finished_at, idempotency_key)
         VALUES ($1, 'test.purge', '{}'::jsonb, $2, $3::timestamptz, $3::timestamptz, $4::timestamptz, $5)`,
        [job.id, job.state, ago(60 * DAY), job.finishedAt, job.name],
      );
    }

    // A batch of 2 for 3 old rows: the purge must loop until a batch comes back short.
    expect(await purgeFinishedJobs({ database: testDatabase.database, clock, batchSize: 2 })).toEqual({ deleted: 3 });
    const left = await testDatabase.database.query<{ idempotency_key: string }>(
      "SELECT idempotency_key FROM jobs WHERE kind = 'test.purge' ORDER BY idempotency_key",
    );
    expect(left.map((row) => row.idempotency_key)).toEqual(
      jobs
        .filter((job) => !job.purged)
        .map((job) => job.name)
        .sort(),
    );
    expect(await purgeFinishedJobs({ database: testDatabase.database, clock })).toEqual({ deleted: 0 });

    // Time passes: yesterday's failure falls out of the window too.
    clock.advance(30 * DAY);
    expect(await purgeFinishedJobs({ database: testDatabase.database, clock })).toEqual({ deleted: 2 });
  });

  it('bounds its scan by the id of the cut-off time: ids are UUIDv7, which sort by creation time', () => {
    const cutoff = new Date('2026-05-02T12:00:00.000Z');
    const bound = firstUuidV7At(cutoff);
    expect(bound).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7000-8000-000000000000$/);
    expect(uuidV7At(new Date(cutoff.getTime() - 1)) < bound).toBe(true);
    expect(uuidV7At(cutoff) >= bound).toBe(true);
  });

  it('is scheduled with the other recurring jobs, and every recurring job has a handler', async () => {
    const server = await startTestVigil();
    try {
      const jobs = testBackgroundJobs(server);
      expect(jobs.schedules).toContainEqual(JOB_PURGE_SCHEDULE);
      for (const schedule of jobs.schedules) expect(jobs.handlers[schedule.kind], schedule.kind).toBeTypeOf('function');
    } finally {
      await server.close();
    }
  });
});
