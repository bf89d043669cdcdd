import { index, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../../platform/db/schema.ts';

/*
 * Row types for migrations/0008_identity_sso.sql (the SQL is the source of truth for DDL;
 * sso-sign-in.integration.test.ts checks these match it). Kept in the feature: only sso/ uses them.
 */

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Platform table: a provider identity (provider + `sub`) linked to an account. */
export const userIdentities = pgTable(
  'user_identities',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    email: text('email').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    lastUsedAt: timestamptz('last_used_at'),
  },
  (table) => [
    unique('user_identities_provider_subject_key').on(table.provider, table.subject),
    index('user_identities_user').on(table.userId),
  ],
);

/** Platform table: an authorization request in flight (state, PKCE verifier, nonce, browser binding). */
export const ssoAttempts = pgTable(
  'sso_attempts',
  {
    id: uuid('id').primaryKey(),
    provider: text('provider').notNull(),
    stateHash: text('state_hash').notNull().unique(),
    browserBindingHash: text('browser_binding_hash').notNull(),
    codeVerifierSealed: text('code_verifier_sealed').notNull(),
    nonceSealed: text('nonce_sealed').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    linkUserId: uuid('link_user_id').references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamptz('created_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (table) => [index('sso_attempts_expires').on(table.expiresAt)],
);

/** Platform table: an identity waiting for the matching account to prove control before it is linked. */
export const ssoPendingLinks = pgTable(
  'sso_pending_links',
  {
    id: uuid('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    email: text('email').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (table) => [index('sso_pending_links_user').on(table.userId)],
);

export const ssoTables = { userIdentities, ssoAttempts, ssoPendingLinks };
export type UserIdentityRow = typeof userIdentities.$inferSelect;
export type SsoAttemptRow = typeof ssoAttempts.$inferSelect;
export type SsoPendingLinkRow = typeof ssoPendingLinks.$inferSelect;
