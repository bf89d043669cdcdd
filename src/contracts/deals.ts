import { z } from 'zod';

export const dealSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  stage: z.string(),
  amountMinor: z.number().int().nullable(),
  currency: z.string().length(3).nullable(),
  closeDate: z.string().nullable(),
  ownerName: z.string().nullable(),
  updatedAt: z.string(),
});
export type Deal = z.infer<typeof dealSchema>;

export const listDealsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid().optional(),
});

export const dealListSchema = z.object({ items: z.array(dealSchema), nextCursor: z.uuid().nullable() });
export type DealList = z.infer<typeof dealListSchema>;
