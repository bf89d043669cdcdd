import { z } from 'zod';
import { dealListSchema } from './deals.ts';

/**
 * Support access: an org admin's explicit, time-boxed grant that lets the platform's admins read
 * the organisation's deals (read-only) through the console. Never secrets.
 */

export const SUPPORT_ACCESS_MIN_HOURS = 1;
export const SUPPORT_ACCESS_MAX_HOURS = 72;
export const SUPPORT_ACCESS_DEFAULT_HOURS = 24;

export const grantSupportAccessRequestSchema = z.object({
  durationHours: z
    .number()
    .int()
    .min(SUPPORT_ACCESS_MIN_HOURS)
    .max(SUPPORT_ACCESS_MAX_HOURS)
    .default(SUPPORT_ACCESS_DEFAULT_HOURS)
    .describe('How long the grant lasts, in whole hours (1 to 72; 24 when left out)'),
  reason: z
    .string()
    .trim()
    .min(3, 'Say why, in a few words')
    .max(500)
    .describe('Why support needs access; recorded on both audit chains'),
});
export type GrantSupportAccessRequest = z.input<typeof grantSupportAccessRequestSchema>;

export const supportAccessGrantSchema = z.object({
  id: z.uuid(),
  /** The org admin who granted it (null once their account is deleted). */
  grantedBy: z.object({ userId: z.uuid(), email: z.string(), displayName: z.string().nullable() }).nullable(),
  reason: z.string(),
  grantedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type SupportAccessGrant = z.infer<typeof supportAccessGrantSchema>;

/** The organisation's side: the active grant, if any. */
export const supportAccessStatusSchema = z.object({ active: supportAccessGrantSchema.nullable() });
export type SupportAccessStatus = z.infer<typeof supportAccessStatusSchema>;

export const revokeSupportAccessResponseSchema = z.object({
  /** False when no grant was active (revoking is idempotent). */
  revoked: z.boolean(),
});

/** The console's side: one page of the organisation's deals under the active grant. */
export const supportDealsSchema = z.object({
  organisation: z.object({ id: z.uuid(), name: z.string(), slug: z.string() }),
  grant: supportAccessGrantSchema,
  deals: dealListSchema,
});
export type SupportDeals = z.infer<typeof supportDealsSchema>;
