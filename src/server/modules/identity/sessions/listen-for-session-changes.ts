import type { Database } from '../../../platform/db/database.ts';
import type { SessionCache } from './session-cache.ts';

/** The channel migrations/0009's triggers notify with a user id. */
export const SESSION_STATE_CHANNEL = 'vigil_session_state';

export type SessionChangeListener = {
  /** Resolves when a change notification about `userId` arrives (tests await it instead of sleeping). */
  nextChange(userId: string): Promise<void>;
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
  const nextChange = (userId: string) =>
    new Promise<void>((resolve) => waiters.set(userId, [...(waiters.get(userId) ?? []), resolve]));
  if (!database.listen) return { nextChange, stop: async () => {} };
  let stopping = false;
  try {
    const unsubscribe = await database.listen(SESSION_STATE_CHANNEL, {
      notification(userId) {
        cache.invalidate({ userId });
        const waiting = waiters.get(userId);
        waiters.delete(userId);
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
      stop: () => {
        stopping = true;
        return unsubscribe();
      },
    };
  } catch (error) {
    cache.setStateCaching(false);
    log.warn({ err: error }, 'cannot listen for session changes; session states will not be cached');
    return { nextChange, stop: async () => {} };
  }
}
