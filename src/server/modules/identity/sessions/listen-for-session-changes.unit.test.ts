// Threat: a change committed by another replica (a user, or a whole organisation, suspended) that
// this process hears about but does not apply to its session cache.
import { describe, expect, it } from 'vitest';
import type { NotificationHandlers } from '../../../platform/db/database.ts';
import { listenForSessionChanges, SESSION_STATE_CHANNEL } from './listen-for-session-changes.ts';
import { createSessionCache, type SessionInvalidation } from './session-cache.ts';

async function listening() {
  let handlers: NotificationHandlers | null = null;
  const cache = createSessionCache();
  const invalidations: SessionInvalidation[] = [];
  const invalidate = cache.invalidate;
  cache.invalidate = (what) => {
    invalidations.push(what);
    invalidate(what);
  };
  const listener = await listenForSessionChanges({
    database: {
      async listen(channel, given) {
        expect(channel).toBe(SESSION_STATE_CHANNEL);
        handlers = given;
        given.connected(true);
        return async () => {};
      },
    },
    cache,
    log: { warn: () => {} },
  });
  const notify = (payload: string) => {
    if (!handlers) throw new Error('not listening');
    handlers.notification(payload);
  };
  return { listener, invalidations, notify };
}

describe('session change notifications', () => {
  it('drops a user’s cached states for a user id', async () => {
    const { listener, invalidations, notify } = await listening();
    const heard = listener.nextChange('01900000-0000-7000-8000-0000000000aa');
    notify('01900000-0000-7000-8000-0000000000aa');
    await heard;
    expect(invalidations).toEqual([{ userId: '01900000-0000-7000-8000-0000000000aa' }]);
  });

  it('drops an organisation’s cached states for `org:<id>` (suspension, migration 0011)', async () => {
    const { listener, invalidations, notify } = await listening();
    const heard = listener.nextOrganisationChange('01900000-0000-7000-8000-000000000001');
    notify('org:01900000-0000-7000-8000-000000000001');
    await heard;
    expect(invalidations).toEqual([{ orgId: '01900000-0000-7000-8000-000000000001' }]);
  });
});
