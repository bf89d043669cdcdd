// Row types come from src/server/platform/db/schema.ts while DDL lives in migrations/: this keeps
// the two from drifting apart.
import { getTableConfig } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/server/platform/db/schema.ts';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../helpers/test-database.ts';

let testDatabase: TestDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
});

afterAll(async () => {
  await testDatabase?.close();
});

describe(`drizzle schema vs migrated tables (${testDatabaseKind})`, () => {
  it('declares exactly the columns, types and nullability the migrations create', async () => {
    for (const table of Object.values(schema)) {
      const config = getTableConfig(table);
      const columns = await testDatabase.adminQuery<{ column_name: string; udt_name: string; is_nullable: string }>(
        "SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name",
        [config.name],
      );
      const declared = config.columns
        .map((column) => ({ name: column.name, type: column.getSQLType(), nullable: !column.notNull }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const actual = columns.map((column) => ({
        name: column.column_name,
        type: column.udt_name,
        nullable: column.is_nullable === 'YES',
      }));
      expect(
        declared.map(({ name, nullable }) => ({ name, nullable })),
        config.name,
      ).toEqual(actual.map(({ name, nullable }) => ({ name, nullable })));
      const normalise = (type: string) =>
        ({ timestamptz: 'timestamp with time zone', int8: 'bigint', int4: 'integer', bpchar: 'char', bool: 'boolean' })[
          type
        ] ?? type;
      for (const [index, column] of declared.entries()) {
        expect(normalise(actual[index]?.type ?? ''), `${config.name}.${column.name}`).toBe(
          column.type.replace(/\(\d+\)$/, ''),
        );
      }
    }
  });
});
