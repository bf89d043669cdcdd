import type { SQL } from 'drizzle-orm';
import type { Transaction } from './database.ts';

/**
 * Runs raw SQL in a transaction and returns its rows. Both drivers (node-postgres and PGlite)
 * answer `{ rows }`; drizzle's generic result type cannot say so, hence this one cast.
 */
export async function queryRows<Row>(transaction: Transaction, query: SQL): Promise<Row[]> {
  const result = (await transaction.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}
