import type { Database } from '../../../platform/db/database.ts';
import type { SessionCache } from './session-cache.ts';

/**
 * The channel migrations/0009's triggers notify with a user id, and 0011's with
 * `org:<organisation id>` (an organisation suspended or unsuspended).
 */
export const SESSION_STATE_CHANNEL = 'vigil_session_state';

const ORGANISATION_PREFIX = 'org:';

export type SessionChangeListener = {
  /** Resolves when a change notification about `userId` arrives (tests await it instead of sleeping). */
  nextChange(userId: string): Promise<void>;
  /** Resolves when a change notification about organisation `orgId` arrives. */
  nextOrganisationChange(orgId: string): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Keeps this process's session cache in step with changes any process commits: each
 * notification drops what the cache holds about that user. While the subscription is down
 * (connection lost, database without LISTEN) session states are not cached at all, and when it
 * comes back everything cached before is dropped — notifications may have been missed meanwhile.
 */
export async function listenForSessionChanges(options: {
  database: Pick<Database, 'listen'>;
  cache: SessionCache;
  log: { warn(object: object, message: string): void };
}): Promise<SessionChangeListener> {
  const { database, cache, log } = options;
  const waiters = new Map<string, (() => void)[]>();
  // Keyed by the notification's payload: a user id, or `org:` and an organisation id.
  const nextPayload = (payload: string) =>
    new Promise<void>((resolve) => waiters.set(payload, [...(waiters.get(payload) ?? []), resolve]));
  const nextChange = (userId: string) => nextPayload(userId);
  const nextOrganisationChange = (orgId: string) => nextPayload(`${ORGANISATION_PREFIX}${orgId}`);
  if (!database.listen) return { nextChange, nextOrganisationChange, stop: async () => {} };
  let stopping = false;
  try {
    const unsubscribe = await database.listen(SESSION_STATE_CHANNEL, {
      notification(payload) {
        cache.invalidate(
          payload.startsWith(ORGANISATION_PREFIX)
            ? { orgId: payload.slice(ORGANISATION_PREFIX.length) }
            : { userId: payload },
        );
        const waiting = waiters.get(payload);
        waiters.delete(payload);
        for (const resolve of waiting ?? []) resolve();
      },
      connected(up) {
        cache.setStateCaching(up);
        if (!up && !stopping)
          log.warn({}, 'session change notifications interrupted; session states are not cached until they resume');
      },
    });
    return {
      nextChange,
      nextOrganisationChange,
      stop: () => {
        stopping = true;
        return unsubscribe();
      },
    };
  } catch (error) {
    cache.setStateCaching(false);
    log.warn({ err: error }, 'cannot listen for session changes; session states will not be cached');
    return { nextChange, nextOrganisationChange, stop: async () => {} };
  }
}
