import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { createControlledClock } from '../clock.ts';
import { enqueueDueRecurringJobs } from './recurring-jobs.ts';

let testDatabase: TestDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
});

afterAll(async () => {
  await testDatabase?.close();
});

describe(`recurring jobs (${testDatabaseKind})`, () => {
  it('creates exactly one job per period however many workers ask', async () => {
    const clock = createControlledClock(new Date('2026-05-01T10:00:00Z'));
    const schedules = [{ kind: 'test.daily', everyMs: 86_400_000 }];
    await Promise.all(
      Array.from({ length: 5 }, () => enqueueDueRecurringJobs({ database: testDatabase.database, clock, schedules })),
    );
    clock.advance(3_600_000);
    await enqueueDueRecurringJobs({ database: testDatabase.database, clock, schedules });
    clock.advance(86_400_000);
    await enqueueDueRecurringJobs({ database: testDatabase.database, clock, schedules });
    const rows = await testDatabase.database.query<{ idempotency_key: string }>(
      "SELECT idempotency_key FROM jobs WHERE kind = 'test.daily' ORDER BY run_at",
    );
    expect(rows.map((row) => row.idempotency_key)).toEqual([
      'test.daily@2026-05-01T00:00:00.000Z',
      'test.daily@2026-05-02T00:00:00.000Z',
    ]);
  });
});
