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

/** A `timestamptz` column read and written as a Date. */
export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * `created_at` and `updated_at` as most tables have them: NOT NULL without an SQL default, set
 * from the application's clock (so an insert that forgets them does not compile).
 */
export const timestamps = {
  createdAt: timestamptz('created_at').notNull(),
  updatedAt: timestamptz('updated_at').notNull(),
};

/** The same two columns where the migration gives them `DEFAULT now()` (organisations, deals). */
const timestampsDefaultNow = {
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
};

/** Platform table: an organisation is the tenant itself, so it is not row-level scoped. */
export const organisations = pgTable('organisations', {
  id: uuid('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  isDemo: boolean('is_demo').notNull().default(false),
  timezone: text('timezone').notNull().default('UTC'),
  riskAlertThreshold: integer('risk_alert_threshold').notNull().default(70),
  /** Suspended by a platform admin: members cannot use it until unsuspended. */
  suspendedAt: timestamp('suspended_at', { withTimezone: true, mode: 'date' }),
  /** Kept by a trigger on memberships (which the platform cannot read). */
  memberCount: integer('member_count').notNull().default(0),
  /** The open support access grant, mirrored by a trigger on support_access_grants (0012). */
  supportAccessGrantId: uuid('support_access_grant_id'),
  supportAccessExpiresAt: timestamp('support_access_expires_at', { withTimezone: true, mode: 'date' }),
  ...timestampsDefaultNow,
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
    ...timestampsDefaultNow,
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
    // Claims (platform/jobs/claim-jobs.ts, migration 0013): due jobs of a kind in run_at order,
    // and expired leases.
    index('jobs_queued')
      .on(table.kind, table.runAt)
      .where(sql`state = 'queued'`),
    index('jobs_leased')
      .on(table.lockedUntil)
      .where(sql`state = 'running'`),
  ],
);

/** Platform table: data keys (DEKs) wrapped by the master key. See platform/crypto/keyring.ts. */
export const dataKeys = pgTable('data_keys', {
  version: integer('version').primaryKey(),
  state: text('state', { enum: ['active', 'retiring', 'retired'] }).notNull(),
  wrappedKey: text('wrapped_key'),
  kekFingerprint: text('kek_fingerprint').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  retiredAt: timestamp('retired_at', { withTimezone: true, mode: 'date' }),
});

/**
 * The audit log: per-organisation chains and the platform chain (org_id NULL), append-only,
 * hash-chained. RLS shows a tenant transaction its organisation's chain and a platform
 * transaction the platform chain.
 */
export const auditEvents = pgTable('audit_events', {
  id: uuid('id').primaryKey(),
  orgId: uuid('org_id'),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
  actorUserId: uuid('actor_user_id'),
  actorRole: text('actor_role'),
  actorIp: text('actor_ip'),
  actorUserAgent: text('actor_user_agent'),
  action: text('action').notNull(),
  outcome: text('outcome', { enum: ['success', 'denied', 'failure'] }).notNull(),
  targetType: text('target_type'),
  targetId: text('target_id'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
  requestId: text('request_id'),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});

/** Platform table: people. Not row-level scoped (a user spans organisations). */
export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  email: text('email').notNull(),
  emailNormalised: text('email_normalised').notNull().unique(),
  displayName: text('display_name'),
  emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true, mode: 'date' }),
  platformAdmin: boolean('platform_admin').notNull().default(false),
  tokensValidAfter: timestamp('tokens_valid_after', { withTimezone: true, mode: 'date' }).notNull(),
  suspendedAt: timestamp('suspended_at', { withTimezone: true, mode: 'date' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export const passwordCredentials = pgTable('password_credentials', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  passwordHash: text('password_hash').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export const emailTokens = pgTable('email_tokens', {
  id: uuid('id').primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  purpose: text('purpose', { enum: ['verify_email', 'reset_password'] }).notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
});

export const mailOutbox = pgTable('mail_outbox', {
  id: uuid('id').primaryKey(),
  toAddress: text('to_address').notNull(),
  subject: text('subject').notNull(),
  bodyText: text('body_text').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
  lastError: text('last_error'),
});

/** Tenant-ish table: visible to its organisation, and to the member themself across organisations. */
export const memberships = pgTable(
  'memberships',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['viewer', 'builder', 'org_admin'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.orgId, table.userId] })],
);

/**
 * Tenant table (RLS, org-or-invitee): invitations by email with a role. The token is stored only
 * as its SHA-256; the invited person sees the invitations addressed to their verified email.
 */
export const invitations = pgTable(
  'invitations',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull(),
    email: text('email').notNull(),
    emailNormalised: text('email_normalised').notNull(),
    role: text('role', { enum: ['viewer', 'builder', 'org_admin'] }).notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true, mode: 'date' }),
    acceptedBy: uuid('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    declinedAt: timestamp('declined_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [primaryKey({ columns: [table.orgId, table.id] })],
);

/**
 * Tenant table (RLS): an org admin's time-boxed grant letting platform admins read the
 * organisation's deals (migration 0012). At most one open (`endedAt` null) per organisation.
 */
export const supportAccessGrants = pgTable(
  'support_access_grants',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull(),
    grantedBy: uuid('granted_by').references(() => users.id, { onDelete: 'set null' }),
    reason: text('reason').notNull(),
    grantedAt: timestamp('granted_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    endReason: text('end_reason', { enum: ['revoked', 'replaced', 'expired'] }),
    endedBy: uuid('ended_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (table) => [primaryKey({ columns: [table.orgId, table.id] })],
);

export const schema = {
  organisations,
  deals,
  jobs,
  dataKeys,
  auditEvents,
  users,
  passwordCredentials,
  emailTokens,
  mailOutbox,
  memberships,
  invitations,
  supportAccessGrants,
};
export type Organisation = typeof organisations.$inferSelect;
export type Deal = typeof deals.$inferSelect;
export type Job = typeof jobs.$inferSelect;
export type DataKey = typeof dataKeys.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
export type User = typeof users.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
export type Invitation = typeof invitations.$inferSelect;
export type SupportAccessGrant = typeof supportAccessGrants.$inferSelect;
