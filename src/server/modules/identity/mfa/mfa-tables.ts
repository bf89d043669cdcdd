import { bigint, integer, pgTable, text, timestamp, unique, uuid, index } from 'drizzle-orm/pg-core';
import { users } from '../../../platform/db/schema.ts';

/*
 * Row types for migrations/0005_identity_mfa.sql (the SQL is the source of truth for DDL;
 * mfa-tables.integration.test.ts checks these match it). Kept in the feature, not in the shared
 * schema.ts, because only mfa/ reads or writes them.
 */

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Platform table: one TOTP enrolment per user, pending until confirmed with a first code. */
export const mfaTotp = pgTable('mfa_totp', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  secretSealed: text('secret_sealed').notNull(),
  recoveryCodeKeySealed: text('recovery_code_key_sealed').notNull(),
  confirmedAt: timestamptz('confirmed_at'),
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
  failedAttempts: integer('failed_attempts').notNull().default(0),
  lockedUntil: timestamptz('locked_until'),
  createdAt: timestamptz('created_at').notNull(),
});

export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => mfaTotp.userId, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamptz('used_at'),
    createdAt: timestamptz('created_at').notNull(),
  },
  (table) => [unique('recovery_codes_user_id_code_hash_key').on(table.userId, table.codeHash)],
);

export const mfaChallenges = pgTable(
  'mfa_challenges',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['verify', 'enrol'] }).notNull(),
    firstFactor: text('first_factor', { enum: ['pwd', 'sso'] }).notNull(),
    createdAt: timestamptz('created_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (table) => [index('mfa_challenges_user').on(table.userId)],
);

export const mfaTables = { mfaTotp, recoveryCodes, mfaChallenges };
export type MfaTotpRow = typeof mfaTotp.$inferSelect;
export type MfaChallengeRow = typeof mfaChallenges.$inferSelect;
