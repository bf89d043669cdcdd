import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { organisations, users } from '../../../platform/db/schema.ts';

/*
 * Row types for migrations/0004_identity_sessions.sql (the SQL is the source of truth; a test in
 * this folder checks the two match, as test/integration/schema-matches-migrations does for
 * platform/db/schema.ts).
 */

/** Public half of an Ed25519 signing key as published in the JWKS. */
export type PublicSigningJwk = { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };

/** Platform table: access-token signing keys; `private_key` is sealed by the keyring. */
export const jwtSigningKeys = pgTable('jwt_signing_keys', {
  id: uuid('id').primaryKey(),
  algorithm: text('algorithm', { enum: ['EdDSA'] }).notNull(),
  publicJwk: jsonb('public_jwk').$type<PublicSigningJwk>().notNull(),
  privateKey: text('private_key').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  retiredAt: timestamp('retired_at', { withTimezone: true, mode: 'date' }),
});

/** Platform table: one row per signed-in device (a refresh-token family); `csrf_token` is sealed. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    currentOrgId: uuid('current_org_id').references(() => organisations.id, { onDelete: 'set null' }),
    amr: text('amr').array().notNull(),
    secondFactorAt: timestamp('second_factor_at', { withTimezone: true, mode: 'date' }),
    csrfToken: text('csrf_token').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }).notNull(),
    absoluteExpiresAt: timestamp('absolute_expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    revokedReason: text('revoked_reason'),
  },
  (table) => [index('sessions_user').on(table.userId, table.createdAt)],
);

/** Platform table: single-use refresh tokens (SHA-256 only); `successor_token` is sealed. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    parentId: uuid('parent_id'),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
    successorId: uuid('successor_id'),
    successorToken: text('successor_token'),
  },
  (table) => [
    index('refresh_tokens_session').on(table.sessionId),
    uniqueIndex('refresh_tokens_one_live')
      .on(table.sessionId)
      .where(sql`used_at IS NULL`),
  ],
);

export const sessionTables = { jwtSigningKeys, sessions, refreshTokens };
export type SessionRow = typeof sessions.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
export type JwtSigningKeyRow = typeof jwtSigningKeys.$inferSelect;
