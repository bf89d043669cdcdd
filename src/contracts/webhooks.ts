import { z } from 'zod';

/*
 * Outbound webhooks: the versioned event catalogue (payload schemas + examples) and the shapes of
 * the endpoints API. Shared by the server (which validates every event it emits against the
 * catalogue) and the web app.
 */

const isoTime = z.iso.datetime({ offset: true });

const dealSnapshotSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  stage: z.string(),
  amountMinor: z.number().int().nullable(),
  currency: z.string().length(3).nullable(),
  closeDate: z.string().nullable(),
  ownerName: z.string().nullable(),
});

const exampleDeal = {
  id: '01939f3a-8c2e-7b4d-9a51-3f0c2d1e4b6a',
  name: 'Northwind — 200 seats',
  stage: 'negotiation',
  amountMinor: 4_800_000,
  currency: 'EUR',
  closeDate: '2026-12-15',
  ownerName: 'Ada Lovelace',
};

/**
 * The catalogue. `version` changes only for a breaking change of `data`; additive fields keep it.
 * Receivers get `{ type, version, timestamp, data }`.
 */
export const webhookEventCatalogue = {
  'deal.created': {
    version: 1,
    description: 'A deal appeared in Vigil (synced from the CRM or created by hand).',
    data: z.object({ deal: dealSnapshotSchema }),
    example: { deal: exampleDeal },
  },
  'deal.updated': {
    version: 1,
    description: 'A deal changed. `changed` lists the fields whose value differs from before.',
    data: z.object({ deal: dealSnapshotSchema, changed: z.array(z.string()).min(1) }),
    example: { deal: exampleDeal, changed: ['stage', 'closeDate'] },
  },
  'deal.risk_changed': {
    version: 1,
    description: "A deal's risk score moved into another band or by 10 points or more.",
    data: z.object({
      dealId: z.uuid(),
      previousScore: z.number().int().min(0).max(100).nullable(),
      score: z.number().int().min(0).max(100),
      band: z.enum(['low', 'medium', 'high']),
      factors: z.array(z.object({ factor: z.string(), contribution: z.number() })),
    }),
    example: {
      dealId: exampleDeal.id,
      previousScore: 41,
      score: 72,
      band: 'high',
      factors: [
        { factor: 'days_since_last_activity', contribution: 18 },
        { factor: 'close_date_slipped', contribution: 13 },
      ],
    },
  },
  'webhook.test': {
    version: 1,
    description: 'Sent by the “Send test event” button: check your receiver verifies and answers 2xx.',
    data: z.object({ message: z.string(), endpointId: z.uuid() }),
    example: { message: 'Hello from Vigil', endpointId: '01939f3a-8c2e-7b4d-9a51-3f0c2d1e4b6b' },
  },
} as const;

export type WebhookEventType = keyof typeof webhookEventCatalogue;
export const webhookEventTypes = Object.keys(webhookEventCatalogue) as [WebhookEventType, ...WebhookEventType[]];
export type WebhookEventData<T extends WebhookEventType> = z.infer<(typeof webhookEventCatalogue)[T]['data']>;

export const webhookEventTypeSchema = z.object({
  type: z.string(),
  version: z.number().int(),
  description: z.string(),
  schema: z.record(z.string(), z.unknown()).describe('JSON Schema of `data`'),
  example: z.record(z.string(), z.unknown()).describe('A complete example body'),
});
export const webhookEventTypeListSchema = z.object({ items: z.array(webhookEventTypeSchema) });
export type WebhookEventTypeView = z.infer<typeof webhookEventTypeSchema>;

/** Header names a receiver must not be able to override (signing, framing, routing). */
export const reservedWebhookHeaders = [
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
] as const;

const headerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name')
  .refine((name) => !(reservedWebhookHeaders as readonly string[]).includes(name.toLowerCase()), {
    message: 'is set by Vigil and cannot be overridden',
  });
const headerValueSchema = z
  .string()
  .max(1000)
  // eslint-disable-next-line no-control-regex -- control characters are what the check refuses
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'must not contain control characters');

export const webhookHeadersSchema = z
  .record(headerNameSchema, headerValueSchema)
  .refine((headers) => Object.keys(headers).length <= 20, 'at most 20 custom headers');

const urlSchema = z.string().trim().min(8).max(2048).describe('https:// URL of the receiver');

export const createWebhookEndpointSchema = z.object({
  url: urlSchema,
  description: z.string().trim().max(500).default(''),
  eventTypes: z.array(z.enum(webhookEventTypes)).min(1).max(webhookEventTypes.length),
  headers: webhookHeadersSchema.default({}),
});
export type CreateWebhookEndpoint = z.input<typeof createWebhookEndpointSchema>;

export const updateWebhookEndpointSchema = z
  .object({
    url: urlSchema.optional(),
    description: z.string().trim().max(500).optional(),
    eventTypes: z.array(z.enum(webhookEventTypes)).min(1).max(webhookEventTypes.length).optional(),
    headers: webhookHeadersSchema.optional().describe('Replaces all custom headers'),
    status: z.enum(['active', 'paused']).optional().describe('`active` also re-enables a disabled endpoint'),
  })
  .refine((body) => Object.keys(body).length > 0, 'nothing to change');
export type UpdateWebhookEndpoint = z.input<typeof updateWebhookEndpointSchema>;

export const webhookEndpointStatuses = ['active', 'paused', 'disabled'] as const;

export const webhookEndpointHealthSchema = z.object({
  /** Deliveries finished in the last 7 days that succeeded, 0..1; null when there were none. */
  successRate: z.number().min(0).max(1).nullable(),
  deliveriesLast7Days: z.number().int(),
  pending: z.number().int(),
  lastSuccessAt: isoTime.nullable(),
  lastFailureAt: isoTime.nullable(),
  lastFailure: z.string().nullable(),
});

export const webhookEndpointSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(z.string()),
  headerNames: z.array(z.string()).describe('Custom header values are write-only'),
  status: z.enum(webhookEndpointStatuses),
  disabledReason: z.string().nullable(),
  secretHint: z.string().describe('Last characters of the signing secret'),
  rotationGraceEndsAt: isoTime.nullable().describe('Until then, deliveries are also signed with the previous secret'),
  failingSince: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  health: webhookEndpointHealthSchema,
});
export type WebhookEndpointView = z.infer<typeof webhookEndpointSchema>;
export const webhookEndpointListSchema = z.object({ items: z.array(webhookEndpointSchema) });

export const webhookSecretSchema = z.object({
  secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{43}=$/)
    .describe('Shown once; store it now'),
});
export const createdWebhookEndpointSchema = z.object({ endpoint: webhookEndpointSchema, secret: z.string() });
export const rotatedWebhookSecretSchema = z.object({
  secret: z.string(),
  previousSecretValidUntil: isoTime,
});

export const webhookDeliveryStates = ['pending', 'succeeded', 'failed'] as const;
export const webhookErrorClasses = [
  'dns',
  'connect',
  'tls',
  'timeout',
  'blocked',
  'http',
  'endpoint_disabled',
] as const;

export const webhookDeliverySchema = z.object({
  messageId: z.uuid().describe('The `webhook-id` header'),
  deliveryId: z.uuid(),
  eventType: z.string(),
  state: z.enum(webhookDeliveryStates),
  attempts: z.number().int(),
  nextAttemptAt: isoTime.nullable(),
  lastAttemptAt: isoTime.nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastErrorClass: z.string().nullable(),
  createdAt: isoTime,
});
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

export const listWebhookDeliveriesQuerySchema = z.object({
  state: z.enum(webhookDeliveryStates).optional(),
  eventType: z.enum(webhookEventTypes).optional(),
  from: isoTime.optional().describe('Created at or after'),
  to: isoTime.optional().describe('Created before'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid().optional().describe('`nextCursor` of the previous page'),
});
export const webhookDeliveryListSchema = z.object({
  items: z.array(webhookDeliverySchema),
  nextCursor: z.uuid().nullable(),
});

export const webhookAttemptSchema = z.object({
  id: z.uuid(),
  attemptNumber: z.number().int(),
  trigger: z.enum(['scheduled', 'manual']),
  startedAt: isoTime,
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable(),
  errorClass: z.enum(webhookErrorClasses).nullable(),
  errorMessage: z.string().nullable(),
  requestHeaders: z.record(z.string(), z.string()),
  responseHeaders: z.record(z.string(), z.string()).nullable(),
  responseBody: z.string().nullable(),
  nextRetryAt: isoTime.nullable(),
});
export type WebhookAttemptView = z.infer<typeof webhookAttemptSchema>;

export const webhookDeliveryDetailSchema = webhookDeliverySchema.extend({
  payload: z.string().describe('The exact body sent'),
  attemptLog: z.array(webhookAttemptSchema),
});
export type WebhookDeliveryDetail = z.infer<typeof webhookDeliveryDetailSchema>;

export const recoverWebhookDeliveriesSchema = z.object({
  since: isoTime.describe('Re-queue every failed delivery created at or after this time'),
});
export const recoveredWebhookDeliveriesSchema = z.object({ requeued: z.number().int() });
export const queuedWebhookMessageSchema = z.object({ messageId: z.uuid(), deliveryId: z.uuid() });
