import { type SQL, sql } from 'drizzle-orm';
import type { Transaction } from './database.ts';

/**
 * Runs raw SQL in a transaction and returns its rows. Both drivers (node-postgres and PGlite)
 * answer `{ rows }`; drizzle's generic result type cannot say so, hence this one cast.
 */
export async function queryRows<Row>(transaction: Transaction, query: SQL): Promise<Row[]> {
  const result = (await transaction.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

/** A raw parameterised query function: the common shape of owner connections and transactions. */
export type SqlQuery = <Row = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<Row[]>;

/**
 * Adapts a drizzle transaction to SqlQuery (`$1`-style placeholders), so infrastructure code
 * (audit appends, key rotation) has one implementation for request transactions and operator
 * connections alike.
 */
export function transactionQuery(transaction: Transaction): SqlQuery {
  return async <Row>(text: string, params: unknown[] = []) => {
    const parts = text.split(/\$(\d+)/);
    const chunks: SQL[] = [];
    parts.forEach((part, index) => {
      if (index % 2 === 0) chunks.push(sql.raw(part));
      else chunks.push(sql`${params[Number(part) - 1]}`);
    });
    return queryRows<Row>(transaction, sql.join(chunks, sql.raw('')));
  };
}
