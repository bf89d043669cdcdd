import { and, isNotNull, lt, or } from 'drizzle-orm';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import type { JobHandler } from '../../../platform/jobs/job-worker.ts';
import type { RecurringJob } from '../../../platform/jobs/recurring-jobs.ts';
import { rotateJwtSigningKey } from './rotate-jwt-signing-key.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import {
  ENDED_SESSION_RETENTION_MS,
  REFRESH_REUSE_GRACE_MS,
  SESSION_IDLE_LIFETIME_MS,
  SIGNING_KEY_MAX_AGE_MS,
} from './session-lifetimes.ts';
import { refreshTokens, sessions } from './session-tables.ts';

export const SESSION_MAINTENANCE_JOB_KIND = 'identity.sessions_maintenance';

/** Hourly: the signing-key schedule needs no finer grain, and stale successor copies go within the hour. */
export const SESSION_MAINTENANCE_SCHEDULE: RecurringJob = {
  kind: SESSION_MAINTENANCE_JOB_KIND,
  everyMs: 60 * 60 * 1000,
};

export type SessionMaintenance = {
  rotatedSigningKey: boolean;
  clearedSuccessorCopies: number;
  deletedSessions: number;
};

/**
 * Scheduled upkeep, idempotent (jobs are at-least-once):
 * - rotates the access-token signing key once it is SIGNING_KEY_MAX_AGE_MS old (and deletes
 *   retired keys whose tokens have all expired);
 * - drops sealed copies of live refresh tokens whose grace window has passed (they exist only to
 *   answer a retry within seconds; no reason to keep a recoverable live token at rest longer);
 * - deletes sessions that ended (revoked, expired or idle) over ENDED_SESSION_RETENTION_MS ago,
 *   with their tokens. Reuse alerts on the security page show that long.
 */
export async function maintainSessions(dependencies: SessionDependencies): Promise<SessionMaintenance> {
  const { database, keyring, clock, keys } = dependencies;
  const rotation = await rotateJwtSigningKey({ database, keyring, clock, onlyIfOlderThanMs: SIGNING_KEY_MAX_AGE_MS });
  if (rotation.rotated || rotation.deletedKids.length > 0) keys.refresh();
  const now = clock.now();
  return withPlatformTransaction(database, { userId: null, requestId: '' }, async (transaction) => {
    const cleared = await transaction
      .update(refreshTokens)
      .set({ successorToken: null })
      .where(
        and(
          isNotNull(refreshTokens.successorToken),
          lt(refreshTokens.usedAt, new Date(now.getTime() - REFRESH_REUSE_GRACE_MS)),
        ),
      )
      .returning({ id: refreshTokens.id });
    const cutoff = new Date(now.getTime() - ENDED_SESSION_RETENTION_MS);
    const deleted = await transaction
      .delete(sessions)
      .where(
        or(
          lt(sessions.revokedAt, cutoff),
          lt(sessions.absoluteExpiresAt, cutoff),
          lt(sessions.lastUsedAt, new Date(cutoff.getTime() - SESSION_IDLE_LIFETIME_MS)),
        ),
      )
      .returning({ id: sessions.id });
    return {
      rotatedSigningKey: rotation.rotated,
      clearedSuccessorCopies: cleared.length,
      deletedSessions: deleted.length,
    };
  });
}

export function createSessionMaintenanceJobHandler(
  dependencies: SessionDependencies & { log: { info(details: object, message: string): void } },
): JobHandler {
  return async () => {
    const result = await maintainSessions(dependencies);
    dependencies.log.info(result, 'session maintenance done');
  };
}
