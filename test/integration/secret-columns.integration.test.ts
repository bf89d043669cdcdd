// Threat: a secret stored in plaintext because someone added a column and forgot to seal it —
// one database dump or SQL injection away from leaking every customer's credentials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSealed } from '../../src/server/platform/crypto/keyring.ts';
import { notSecretColumns, sealedColumns } from '../../src/server/platform/crypto/sealed-columns.ts';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../helpers/test-database.ts';

let testDatabase: TestDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
});

afterAll(async () => {
  await testDatabase?.close();
});

const SECRET_LOOKING = /(secret|token|password|passwd|api_?key|private|credential|_key$|^key$)/i;

describe(`secret columns are sealed (${testDatabaseKind})`, () => {
  it('lists every secret-looking column either as sealed or, with a reason, as not secret', async () => {
    const columns = await testDatabase.adminQuery<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name",
    );
    const sealed = new Set(sealedColumns.map((column) => `${column.table}.${column.column}`));
    const unaccounted = columns
      .map((column) => `${column.table_name}.${column.column_name}`)
      .filter((name) => SECRET_LOOKING.test(name.split('.')[1] as string))
      .filter((name) => !sealed.has(name) && !(name in notSecretColumns));
    expect(unaccounted).toEqual([]);
    for (const reason of Object.values(notSecretColumns)) expect(reason.length).toBeGreaterThan(10);
  });

  it('finds only sealed values in sealed columns', async () => {
    for (const column of sealedColumns) {
      const values = await testDatabase.adminQuery<{ value: string | null }>(
        `SELECT "${column.column}" AS value FROM "${column.table}"`,
      );
      for (const { value } of values)
        if (value !== null) expect(isSealed(value), `${column.table}.${column.column}`).toBe(true);
    }
  });
});
