import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/*
 * Row types for the tables created by migrations/NNNN_*.sql. The SQL files are the source of
 * truth for DDL (they also carry RLS policies, grants and triggers that an ORM schema cannot
 * express); this file must match them, and test/integration/schema-matches-migrations checks it.
 */

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

/** Platform table: an organisation is the tenant itself, so it is not row-level scoped. */
export const organisations = pgTable('organisations', {
  id: uuid('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  isDemo: boolean('is_demo').notNull().default(false),
  ...timestamps,
});

/** Tenant table (RLS): deals synced from a CRM. Later migrations add provider columns. */
export const deals = pgTable(
  'deals',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    stage: text('stage').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }),
    currency: char('currency', { length: 3 }),
    closeDate: date('close_date', { mode: 'string' }),
    ownerName: text('owner_name'),
    ...timestamps,
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.orgId, table.id] })],
);

/**
 * Platform table: background jobs across all organisations. Workers must see every
 * organisation's jobs to claim them, so this table is not row-level scoped; a job that touches
 * tenant data opens its own organisation-scoped transaction from `org_id`.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull(),
    orgId: uuid('org_id').references(() => organisations.id, { onDelete: 'cascade' }),
    payload: jsonb('payload')
      .notNull()
      .default(sql`'{}'::jsonb`),
    state: text('state', { enum: ['queued', 'running', 'succeeded', 'failed'] })
      .notNull()
      .default('queued'),
    runAt: timestamp('run_at', { withTimezone: true, mode: 'date' }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(8),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    lockedBy: text('locked_by'),
    lastError: text('last_error'),
    idempotencyKey: text('idempotency_key'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    unique('jobs_kind_idempotency_key').on(table.kind, table.idempotencyKey),
    index('jobs_claimable').on(table.runAt),
  ],
);

export const schema = { organisations, deals, jobs };
export type Organisation = typeof organisations.$inferSelect;
export type Deal = typeof deals.$inferSelect;
export type Job = typeof jobs.$inferSelect;
