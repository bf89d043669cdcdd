import { foreignKey, index, integer, jsonb, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { organisations, timestamps, timestamptz } from '../../platform/db/schema.ts';

/*
 * Row types for migrations/0007_webhooks.sql (the SQL is the source of truth; the module's
 * schema test checks the two match). All four are tenant tables under forced RLS.
 */

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull(),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    eventTypes: text('event_types').array().notNull(),
    customHeadersSealed: text('custom_headers_sealed'),
    secretSealed: text('secret_sealed').notNull(),
    secretHint: text('secret_hint').notNull(),
    previousSecretSealed: text('previous_secret_sealed'),
    previousSecretExpiresAt: timestamptz('previous_secret_expires_at'),
    status: text('status', { enum: ['active', 'paused', 'disabled'] }).notNull(),
    disabledReason: text('disabled_reason'),
    disabledAt: timestamptz('disabled_at'),
    failingSince: timestamptz('failing_since'),
    ...timestamps,
  },
  (table) => [primaryKey({ columns: [table.orgId, table.id] })],
);

export const webhookMessages = pgTable(
  'webhook_messages',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull(),
    eventType: text('event_type').notNull(),
    body: text('body').notNull(),
    createdAt: timestamps.createdAt,
  },
  (table) => [
    primaryKey({ columns: [table.orgId, table.id] }),
    index('webhook_messages_created').on(table.orgId, table.createdAt),
    index('webhook_messages_age').on(table.createdAt),
  ],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    endpointId: uuid('endpoint_id').notNull(),
    messageId: uuid('message_id').notNull(),
    eventType: text('event_type').notNull(),
    state: text('state', { enum: ['pending', 'succeeded', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at'),
    lastAttemptAt: timestamptz('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastErrorClass: text('last_error_class'),
    ...timestamps,
  },
  (table) => [
    primaryKey({ columns: [table.orgId, table.id] }),
    unique().on(table.orgId, table.endpointId, table.messageId),
    foreignKey({
      columns: [table.orgId, table.endpointId],
      foreignColumns: [webhookEndpoints.orgId, webhookEndpoints.id],
    }),
    foreignKey({
      columns: [table.orgId, table.messageId],
      foreignColumns: [webhookMessages.orgId, webhookMessages.id],
    }),
    index('webhook_deliveries_endpoint').on(table.orgId, table.endpointId, table.createdAt),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    orgId: uuid('org_id').notNull(),
    id: uuid('id').notNull(),
    deliveryId: uuid('delivery_id').notNull(),
    jobId: uuid('job_id').notNull(),
    attemptNumber: integer('attempt_number').notNull(),
    trigger: text('trigger', { enum: ['scheduled', 'manual'] }).notNull(),
    startedAt: timestamptz('started_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    statusCode: integer('status_code'),
    errorClass: text('error_class', {
      enum: ['dns', 'connect', 'tls', 'timeout', 'blocked', 'http', 'endpoint_disabled'],
    }),
    errorMessage: text('error_message'),
    requestHeaders: jsonb('request_headers').$type<Record<string, string>>().notNull(),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    responseBody: text('response_body'),
    nextRetryAt: timestamptz('next_retry_at'),
  },
  (table) => [
    primaryKey({ columns: [table.orgId, table.id] }),
    unique().on(table.orgId, table.jobId),
    foreignKey({
      columns: [table.orgId, table.deliveryId],
      foreignColumns: [webhookDeliveries.orgId, webhookDeliveries.id],
    }),
    index('webhook_attempts_delivery').on(table.orgId, table.deliveryId, table.startedAt),
    index('webhook_attempts_age').on(table.startedAt),
  ],
);

export const webhookTables = { webhookEndpoints, webhookMessages, webhookDeliveries, webhookAttempts };
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
