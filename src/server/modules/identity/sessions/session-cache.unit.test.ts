// Attack: a revocation that the cache forgets — a lookup that started before the revocation
// committed stores the old "active" state after the invalidation ran, or an entry outlives its
// token's exp — leaves a revoked session working from memory.
import { describe, expect, it } from 'vitest';
import type { VerifiedAccessToken } from './access-token.ts';
import type { SessionState } from './read-session-state.ts';
import { createSessionCache } from './session-cache.ts';

const claims = (expiresAt: number): VerifiedAccessToken => ({
  userId: 'u1',
  sessionId: 's1',
  orgId: 'o1',
  role: 'viewer',
  amr: ['pwd'],
  issuedAt: expiresAt - 600,
  secondFactorAt: null,
  expiresAt,
});

const state = (overrides: Partial<SessionState> = {}): SessionState => ({
  userId: 'u1',
  sessionId: 's1',
  orgId: 'o1',
  revoked: false,
  absoluteExpiresAt: 10_000_000,
  sealedCsrfToken: 'sealed',
  platformAdmin: false,
  suspended: false,
  tokensValidAfterSeconds: 0,
  role: 'viewer',
  ...overrides,
});

describe('session cache', () => {
  it('serves a verified token until its exp, never after', () => {
    const cache = createSessionCache();
    cache.rememberToken('token-a', claims(1000));
    expect(cache.verifiedToken('token-a', 999_999)).toMatchObject({ userId: 'u1' });
    expect(cache.verifiedToken('token-a', 1_000_000)).toBeUndefined();
    expect(cache.verifiedToken('token-b', 0)).toBeUndefined();
  });

  it('does not keep a state read before an invalidation (the lookup raced the revocation)', () => {
    const cache = createSessionCache();
    cache.setStateCaching(true);
    const generation = cache.generation();
    // …the lookup is in flight; meanwhile the session is revoked and invalidated…
    cache.invalidate({ sessionId: 's1' });
    cache.rememberState(state(), generation, 0);
    expect(cache.state({ sessionId: 's1', orgId: 'o1' }, 1)).toBeUndefined();
    // A lookup that started after the invalidation is kept.
    cache.rememberState(state(), cache.generation(), 0);
    expect(cache.state({ sessionId: 's1', orgId: 'o1' }, 1)).toBeDefined();
  });

  it('drops entries by user, by session, by organisation and by organisation + user', () => {
    const cache = createSessionCache();
    cache.setStateCaching(true);
    const fill = () => {
      for (const entry of [
        state(),
        state({ sessionId: 's2', orgId: 'o2' }),
        state({ userId: 'u2', sessionId: 's3', orgId: 'o1' }),
      ])
        cache.rememberState(entry, cache.generation(), 0);
    };
    const present = () =>
      [
        { sessionId: 's1', orgId: 'o1' },
        { sessionId: 's2', orgId: 'o2' },
        { sessionId: 's3', orgId: 'o1' },
      ].map((key) => cache.state(key, 1) !== undefined);
    fill();
    cache.invalidate({ userId: 'u1' });
    expect(present()).toEqual([false, false, true]);
    fill();
    cache.invalidate({ sessionId: 's2' });
    expect(present()).toEqual([true, false, true]);
    fill();
    cache.invalidate({ orgId: 'o1' });
    expect(present()).toEqual([false, true, false]);
    fill();
    cache.invalidate({ orgId: 'o1', userId: 'u2' });
    expect(present()).toEqual([true, true, false]);
  });

  it('caches no state while change notifications are not received, and trusts one for the TTL only', () => {
    const cache = createSessionCache({ stateTtlMs: 5000 });
    cache.rememberState(state(), cache.generation(), 0);
    expect(cache.state({ sessionId: 's1', orgId: 'o1' }, 1)).toBeUndefined();
    cache.setStateCaching(true);
    cache.rememberState(state(), cache.generation(), 0);
    expect(cache.state({ sessionId: 's1', orgId: 'o1' }, 4999)).toBeDefined();
    expect(cache.state({ sessionId: 's1', orgId: 'o1' }, 5000)).toBeUndefined();
    cache.rememberState(state(), cache.generation(), 0);
    cache.setStateCaching(false);
    expect(cache.stats().states).toBe(0);
  });

  it('stays within its bound, dropping the oldest entries', () => {
    const cache = createSessionCache({ maxEntries: 3 });
    for (let index = 0; index < 5; index++) cache.rememberToken(`token-${index}`, claims(1000));
    expect(cache.stats().tokens).toBe(3);
    expect(cache.verifiedToken('token-0', 0)).toBeUndefined();
    expect(cache.verifiedToken('token-4', 0)).toBeDefined();
  });
});
