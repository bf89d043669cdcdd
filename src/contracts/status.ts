import { z } from 'zod';

/** GET /api/status — what the web app's status page shows. Public: reveals nothing tenant-specific. */
export const statusSchema = z.object({
  service: z.literal('vigil'),
  version: z.string(),
  profile: z.enum(['development', 'test', 'production']),
  database: z.object({
    kind: z.enum(['pglite', 'postgres']),
    reachable: z.boolean(),
    serverVersion: z.string().nullable(),
  }),
  migrations: z.object({
    applied: z.array(z.object({ name: z.string(), appliedAt: z.string() })),
    pending: z.array(z.string()),
    current: z.boolean(),
  }),
  worker: z.object({ inProcess: z.boolean() }),
  uptimeSeconds: z.number(),
  serverTime: z.string(),
});
export type Status = z.infer<typeof statusSchema>;
