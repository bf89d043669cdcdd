import { z } from 'zod';

export const auditEventSchema = z.object({
  id: z.uuid(),
  seq: z.number().int(),
  occurredAt: z.string(),
  actor: z.object({
    userId: z.uuid().nullable(),
    role: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  }),
  action: z.string(),
  outcome: z.enum(['success', 'denied', 'failure']),
  target: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
  metadata: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  hash: z.string(),
});
export type AuditEventView = z.infer<typeof auditEventSchema>;

const isoTime = z.iso.datetime({ offset: true });

export const auditFilterSchema = z.object({
  actor: z.uuid().optional().describe('Actor user id'),
  action: z
    .string()
    .regex(/^[a-z0-9_.*]{1,100}$/)
    .optional()
    .describe('Exact action, or a prefix ending in `*` (e.g. `member.*`)'),
  targetType: z.string().max(100).optional(),
  targetId: z.string().max(200).optional(),
  from: isoTime.optional().describe('Events at or after this time'),
  to: isoTime.optional().describe('Events before this time'),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

export const listAuditEventsQuerySchema = auditFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.coerce.number().int().positive().optional().describe('`nextCursor` of the previous page'),
});

export const exportAuditEventsQuerySchema = auditFilterSchema.extend({
  format: z.enum(['jsonl', 'csv']).default('jsonl'),
});

export const auditEventListSchema = z.object({
  items: z.array(auditEventSchema),
  nextCursor: z.number().int().nullable(),
});
