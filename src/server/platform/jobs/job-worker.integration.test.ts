import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.ts';
import { type ControlledClock, createControlledClock } from '../clock.ts';
import type { Job } from '../db/schema.ts';
import { MIN_DELAY_MS, retryCeilingMs } from './backoff.ts';
import { enqueueJob, enqueueJobs } from './enqueue-job.ts';
import { createJobWorker, type JobHandlers, type JobWorker, type JobWorkerLog } from './job-worker.ts';

type JobRow = {
  id: string;
  state: string;
  attempts: number;
  run_at: Date | string;
  locked_by: string | null;
  locked_until: Date | string | null;
  last_error: string | null;
  finished_at: Date | string | null;
};

type LogEntry = { level: 'info' | 'warn' | 'error'; fields: unknown; message: unknown };

function createRecordingLog(): JobWorkerLog & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record =
    (level: LogEntry['level']) =>
    (fields: unknown, message?: unknown): void => {
      entries.push({ level, fields, message });
    };
  return { entries, info: record('info'), warn: record('warn'), error: record('error') };
}

/** A promise the test settles by hand: stands in for a handler that is still running. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const LEASE_MS = 30_000;

// Reads go through the runtime connection (jobs is a platform table it may read) rather than
// adminQuery: no test here needs to bypass RLS.
describe('job worker', () => {
  let testDatabase: TestDatabase;
  let clock: ControlledClock;
  let log: ReturnType<typeof createRecordingLog>;
  const workers: JobWorker[] = [];

  function worker(handlers: JobHandlers, workerId: string): JobWorker {
    const created = createJobWorker({
      database: testDatabase.database,
      clock,
      log,
      handlers,
      workerId,
      leaseMs: LEASE_MS,
    });
    workers.push(created);
    return created;
  }

  function enqueue(
    kind: string,
    extra: { maxAttempts?: number; idempotencyKey?: string; payload?: Record<string, unknown> } = {},
  ) {
    return enqueueJob(
      { database: testDatabase.database, clock },
      { kind, payload: extra.payload ?? {}, maxAttempts: extra.maxAttempts, idempotencyKey: extra.idempotencyKey },
    );
  }

  async function row(id: string): Promise<JobRow> {
    const [found] = await testDatabase.database.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
    if (!found) throw new Error(`job ${id} not found`);
    return found;
  }

  const time = (value: Date | string | null) => (value === null ? null : new Date(value).getTime());

  beforeEach(async () => {
    testDatabase = await createTestDatabase({ poolSize: 6 });
    clock = createControlledClock();
    log = createRecordingLog();
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((created) => created.stop()));
    await testDatabase.close();
  });

  it('runs a job and marks it succeeded', async () => {
    const seen: Job[] = [];
    const a = worker({ 'test.ok': async (job) => void seen.push(job) }, 'worker-a');
    const id = await enqueue('test.ok', { payload: { dealId: 'd-1' } });

    expect(await a.runOnce()).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id, kind: 'test.ok', payload: { dealId: 'd-1' }, state: 'running', attempts: 1 });
    expect(seen[0]?.lockedBy).toBe('worker-a');
    expect(seen[0]?.lockedUntil?.getTime()).toBe(clock.now().getTime() + LEASE_MS);

    const done = await row(id);
    expect(done).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      locked_by: null,
      locked_until: null,
      last_error: null,
    });
    expect(time(done.finished_at)).toBe(clock.now().getTime());
    expect(await a.runOnce()).toBe(0);
  });

  it('does not claim jobs before run_at or of kinds it has no handler for', async () => {
    const a = worker({ 'test.ok': async () => {} }, 'worker-a');
    const later = await enqueueJob(
      { database: testDatabase.database, clock },
      { kind: 'test.ok', payload: {}, runAt: new Date(clock.now().getTime() + 60_000) },
    );
    const unknown = await enqueue('test.unknown');

    expect(await a.runOnce()).toBe(0);
    clock.advance(60_000);
    expect(await a.runOnce()).toBe(1);
    expect((await row(later)).state).toBe('succeeded');
    expect(await row(unknown)).toMatchObject({ state: 'queued', attempts: 0 });
  });

  it('retries a failing job with backoff, then fails it after max_attempts', async () => {
    let calls = 0;
    const a = worker(
      {
        'test.flaky': async () => {
          calls += 1;
          throw new Error(`boom ${calls}`);
        },
      },
      'worker-a',
    );
    const id = await enqueue('test.flaky', { maxAttempts: 3 });

    for (const attempt of [1, 2]) {
      expect(await a.runOnce()).toBe(1);
      const retry = await row(id);
      expect(retry).toMatchObject({
        state: 'queued',
        attempts: attempt,
        last_error: `boom ${attempt}`,
        locked_by: null,
      });
      const delay = (time(retry.run_at) ?? 0) - clock.now().getTime();
      expect(delay).toBeGreaterThanOrEqual(MIN_DELAY_MS);
      expect(delay).toBeLessThanOrEqual(retryCeilingMs(attempt));

      // Not claimable a millisecond early; claimable exactly at run_at.
      clock.advance(delay - 1);
      expect(await a.runOnce()).toBe(0);
      clock.advance(1);
    }

    expect(await a.runOnce()).toBe(1);
    const failed = await row(id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, last_error: 'boom 3', locked_by: null });
    expect(time(failed.finished_at)).toBe(clock.now().getTime());
    expect(calls).toBe(3);

    clock.advance(retryCeilingMs(100));
    expect(await a.runOnce()).toBe(0);
    const failures = log.entries.filter((entry) => entry.level === 'warn' && entry.message === 'job failed');
    expect(failures.map((entry) => (entry.fields as { attempts: number }).attempts)).toEqual([1, 2, 3]);
    expect(failures[0]?.fields).toMatchObject({ jobId: id, kind: 'test.flaky' });
    expect((failures[0]?.fields as { err?: unknown } | undefined)?.err).toBeInstanceOf(Error);
  });

  it('survives handlers that throw synchronously, reject with non-errors or huge messages', async () => {
    const a = worker(
      {
        'test.sync': (() => {
          throw new Error('thrown synchronously');
        }) as JobHandlers[string],
        'test.string': async () => Promise.reject('just a string'),
        'test.huge': async () => {
          throw new Error(`${'é'.repeat(3_000)}\u0000tail`);
        },
      },
      'worker-a',
    );
    const sync = await enqueue('test.sync');
    const string = await enqueue('test.string');
    const huge = await enqueue('test.huge');

    expect(await a.runOnce()).toBe(3);
    expect(await row(sync)).toMatchObject({ state: 'queued', last_error: 'thrown synchronously' });
    expect(await row(string)).toMatchObject({ state: 'queued', last_error: 'just a string' });
    const stored = (await row(huge)).last_error ?? '';
    expect(Buffer.byteLength(stored, 'utf8')).toBeLessThanOrEqual(2_048);
    expect(stored).toBe('é'.repeat(1_024));
  });

  it('recovers a job whose worker crashed, and ignores the crashed worker completing late', async () => {
    const aStarted = deferred();
    const aRelease = deferred();
    const a = worker(
      {
        'test.slow': async () => {
          aStarted.resolve();
          await aRelease.promise; // worker A "crashes": its handler does not return in time
          throw new Error('late failure from the stalled worker');
        },
      },
      'worker-a',
    );
    const bStarted = deferred();
    const bRelease = deferred();
    let bRuns = 0;
    const b = worker(
      {
        'test.slow': async () => {
          bRuns += 1;
          bStarted.resolve();
          await bRelease.promise;
        },
      },
      'worker-b',
    );
    const id = await enqueue('test.slow', { maxAttempts: 3 });

    const aRun = a.runOnce();
    await aStarted.promise;
    expect(await row(id)).toMatchObject({ state: 'running', locked_by: 'worker-a', attempts: 1 });

    // While A's lease holds, nobody else may take the job.
    clock.advance(LEASE_MS);
    expect(await b.runOnce()).toBe(0);

    clock.advance(1);
    const bRun = b.runOnce();
    await bStarted.promise;
    expect(await row(id)).toMatchObject({ state: 'running', locked_by: 'worker-b', attempts: 2 });

    // A wakes up while B is still running and reports a failure: it no longer holds the lease,
    // so it must neither requeue the job nor touch B's lock.
    aRelease.resolve();
    expect(await aRun).toBe(1);
    expect(await row(id)).toMatchObject({ state: 'running', locked_by: 'worker-b', attempts: 2, last_error: null });
    expect(
      log.entries.some((entry) => entry.message === 'job outcome discarded: lease was lost to another worker'),
    ).toBe(true);

    bRelease.resolve();
    expect(await bRun).toBe(1);
    expect(bRuns).toBe(1);
    const recovered = await row(id);
    expect(recovered).toMatchObject({ state: 'succeeded', attempts: 2, locked_by: null, last_error: null });
    expect(time(recovered.finished_at)).toBe(clock.now().getTime());
  });

  it('ignores a stale run when the same worker re-claimed its own expired job', async () => {
    const runs: { started: ReturnType<typeof deferred<void>>; release: ReturnType<typeof deferred<'fail' | 'ok'>> }[] =
      [];
    const nextRun = () => {
      const run = { started: deferred(), release: deferred<'fail' | 'ok'>() };
      runs.push(run);
      return run;
    };
    const pending = [nextRun(), nextRun()];
    const a = worker(
      {
        'test.stall': async () => {
          const run = pending.shift();
          if (!run) throw new Error('unexpected extra run');
          run.started.resolve();
          if ((await run.release.promise) === 'fail') throw new Error('stale run failed');
        },
      },
      'worker-a',
    );
    const id = await enqueue('test.stall', { maxAttempts: 3 });
    const [first, second] = runs;
    if (!first || !second) throw new Error('runs not prepared');

    const firstRun = a.runOnce();
    await first.started.promise;
    clock.advance(LEASE_MS + 1);
    const secondRun = a.runOnce();
    await second.started.promise;
    expect(await row(id)).toMatchObject({ state: 'running', locked_by: 'worker-a', attempts: 2 });

    // Same worker id, but the claim is attempt 2 now: attempt 1's failure must not requeue it.
    first.release.resolve('fail');
    await firstRun;
    expect(await row(id)).toMatchObject({ state: 'running', locked_by: 'worker-a', attempts: 2, last_error: null });

    second.release.resolve('ok');
    await secondRun;
    expect(await row(id)).toMatchObject({ state: 'succeeded', attempts: 2, locked_by: null });
  });

  it('fails, without running it again, a job whose final attempt lost its lease', async () => {
    const started = deferred();
    const release = deferred();
    const a = worker(
      {
        'test.poison': async () => {
          started.resolve();
          await release.promise;
        },
      },
      'worker-a',
    );
    let bRuns = 0;
    const b = worker(
      {
        'test.poison': async () => {
          bRuns += 1;
        },
      },
      'worker-b',
    );
    const id = await enqueue('test.poison', { maxAttempts: 1 });

    const aRun = a.runOnce();
    await started.promise;
    clock.advance(LEASE_MS + 1);
    expect(await b.runOnce()).toBe(1);
    expect(bRuns).toBe(0);
    const failed = await row(id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 2, locked_by: null });
    expect(failed.last_error).toMatch(/lease expired/);

    release.resolve();
    await aRun;
    expect((await row(id)).state).toBe('failed');
  });

  it('never runs one job on two workers at once', async () => {
    const runs = new Map<string, number>();
    const handler = async (job: Job) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      // Yield so the two workers' claims and completions interleave.
      await new Promise((resolve) => setImmediate(resolve));
    };
    const a = worker({ 'test.many': handler }, 'worker-a');
    const b = worker({ 'test.many': handler }, 'worker-b');
    const ids = await Promise.all(Array.from({ length: 20 }, () => enqueue('test.many')));

    let total = 0;
    for (let round = 0; round < 10; round += 1) {
      const [fromA, fromB] = await Promise.all([a.runOnce(), b.runOnce()]);
      total += fromA + fromB;
      if (fromA + fromB === 0) break;
    }

    expect(total).toBe(20);
    expect([...runs.keys()].sort()).toEqual([...ids].sort());
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    const states = await testDatabase.database.query<{ state: string; attempts: number }>(
      'SELECT state, attempts FROM jobs',
    );
    expect(states.every((job) => job.state === 'succeeded' && job.attempts === 1)).toBe(true);
  });

  it('polls when started and waits for in-flight jobs on stop', async () => {
    const started = deferred();
    const release = deferred();
    const a = worker(
      {
        'test.polled': async () => {
          started.resolve();
          await release.promise;
        },
      },
      'worker-a',
    );
    const id = await enqueue('test.polled');

    a.start({ pollIntervalMs: 60_000 });
    await started.promise;
    let stopped = false;
    const stopping = a.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);

    release.resolve();
    await stopping;
    expect((await row(id)).state).toBe('succeeded');
  });
});

describe('enqueueJob', () => {
  let testDatabase: TestDatabase;
  let clock: ControlledClock;

  beforeEach(async () => {
    testDatabase = await createTestDatabase();
    clock = createControlledClock();
  });

  afterEach(async () => {
    await testDatabase.close();
  });

  async function jobCount(): Promise<number> {
    const [result] = await testDatabase.database.query<{ count: number }>('SELECT count(*)::int AS count FROM jobs');
    return result?.count ?? -1;
  }

  it('returns the existing job for a repeated idempotency key and inserts nothing', async () => {
    const context = { database: testDatabase.database, clock };
    const first = await enqueueJob(context, { kind: 'test.sync', payload: { n: 1 }, idempotencyKey: 'deal-1' });
    const second = await enqueueJob(context, { kind: 'test.sync', payload: { n: 2 }, idempotencyKey: 'deal-1' });
    expect(second).toBe(first);
    expect(await jobCount()).toBe(1);
    const [stored] = await testDatabase.database.query<{ payload: unknown }>('SELECT payload FROM jobs WHERE id = $1', [
      first,
    ]);
    expect(stored?.payload).toEqual({ n: 1 });

    // The key is scoped by kind, and jobs without a key never collide.
    const otherKind = await enqueueJob(context, { kind: 'test.other', payload: {}, idempotencyKey: 'deal-1' });
    expect(otherKind).not.toBe(first);
    await enqueueJob(context, { kind: 'test.sync', payload: {} });
    await enqueueJob(context, { kind: 'test.sync', payload: {} });
    expect(await jobCount()).toBe(4);
  });

  it('enqueues a batch in one call, keeping every idempotency key unique', async () => {
    const context = { database: testDatabase.database, clock };
    const existing = await enqueueJob(context, { kind: 'test.sync', payload: { n: 0 }, idempotencyKey: 'deal-0' });
    const later = new Date(clock.now().getTime() + 60_000);
    const ids = await enqueueJobs(context, [
      { kind: 'test.sync', payload: { n: 1 }, idempotencyKey: 'deal-1', runAt: later },
      // Already queued before the batch: the existing job, its payload unchanged.
      { kind: 'test.sync', payload: { n: 2 }, idempotencyKey: 'deal-0' },
      // Repeated within the batch: the first one's job.
      { kind: 'test.sync', payload: { n: 3 }, idempotencyKey: 'deal-1' },
      { kind: 'test.other', payload: { n: 4 }, idempotencyKey: 'deal-1', maxAttempts: 3 },
      { kind: 'test.sync', payload: { n: 5 } },
      { kind: 'test.sync', payload: { n: 6 } },
    ]);
    expect(ids).toHaveLength(6);
    expect(ids[1]).toBe(existing);
    expect(ids[2]).toBe(ids[0]);
    expect(new Set(ids).size).toBe(5);
    expect(await jobCount()).toBe(5);
    const stored = await testDatabase.database.query<{
      id: string;
      payload: { n: number };
      max_attempts: number;
      run_at: Date | string;
    }>('SELECT id, payload, max_attempts, run_at FROM jobs');
    const byId = new Map(stored.map((row) => [row.id, row]));
    expect(byId.get(existing)?.payload).toEqual({ n: 0 });
    expect(byId.get(ids[0] as string)?.payload).toEqual({ n: 1 });
    expect(new Date(byId.get(ids[0] as string)?.run_at ?? 0).getTime()).toBe(later.getTime());
    expect(byId.get(ids[3] as string)?.max_attempts).toBe(3);
    expect(byId.get(ids[5] as string)?.payload).toEqual({ n: 6 });
    expect(await enqueueJobs(context, [])).toEqual([]);
  });

  it('writes the job atomically with the caller transaction', async () => {
    const { database } = testDatabase;
    await expect(
      database.orm.transaction(async (transaction) => {
        await enqueueJob({ transaction, clock }, { kind: 'test.tx', payload: {} });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await jobCount()).toBe(0);

    const id = await database.orm.transaction(async (transaction) => {
      const first = await enqueueJob({ transaction, clock }, { kind: 'test.tx', payload: {}, idempotencyKey: 'k' });
      // A repeat inside the same transaction sees the uncommitted row.
      expect(await enqueueJob({ transaction, clock }, { kind: 'test.tx', payload: {}, idempotencyKey: 'k' })).toBe(
        first,
      );
      return first;
    });
    const [stored] = await testDatabase.database.query<{ id: string; state: string; run_at: Date | string }>(
      'SELECT id, state, run_at FROM jobs',
    );
    expect(stored).toMatchObject({ id, state: 'queued' });
    expect(new Date(stored?.run_at ?? 0).getTime()).toBe(clock.now().getTime());
  });
});
