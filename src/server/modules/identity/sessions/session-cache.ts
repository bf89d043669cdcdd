import type { VerifiedAccessToken } from './access-token.ts';
import type { SessionState } from './read-session-state.ts';

/** What to forget: everything about a user, one session, or one organisation's memberships. */
export type SessionInvalidation = { userId: string } | { sessionId: string } | { orgId: string; userId?: string };

/** Entries kept at most, per map; the oldest go first when full. */
export const SESSION_CACHE_MAX_ENTRIES = 10_000;

/**
 * The longest a cached session state is trusted without re-reading the database, while this
 * process receives change notifications (their fallback: a notification lost to a dropped
 * connection). Without a notification connection nothing is cached at all.
 */
export const SESSION_STATE_TTL_MS = 5_000;

export type SessionCache = {
  /** The verified claims of `token` if it was verified before and has not expired at `nowMs`. */
  verifiedToken(token: string, nowMs: number): VerifiedAccessToken | undefined;
  rememberToken(token: string, claims: VerifiedAccessToken): void;
  /** The cached state for (session, organisation), if younger than the TTL. */
  state(key: { sessionId: string; orgId: string | null }, nowMs: number): CachedState | undefined;
  /** Call before reading the state from the database; pass the result to rememberState. */
  generation(): number;
  /**
   * Stores a state read from the database — unless an invalidation happened since `generation`
   * was taken: that read may predate the change, and caching it would undo the invalidation.
   */
  rememberState(state: SessionState, generation: number, nowMs: number): CachedState;
  invalidate(what: SessionInvalidation): void;
  /** Forget every state (notification connection lost or re-established). */
  clearStates(): void;
  /** Forget every verified token (signing keys rotated). */
  clearTokens(): void;
  /** Whether states may be cached (true only while change notifications are received). */
  setStateCaching(enabled: boolean): void;
  stats(): { tokens: number; states: number; stateCaching: boolean };
};

/** A cached state, with the CSRF token once a cookie request needed it opened. */
export type CachedState = SessionState & { cachedAt: number; csrfToken?: string };

/**
 * The token itself: a Map compares whole strings, so no other string can take a verified token's
 * entry. (It was the token's SHA-256, which cost ~10 % of the CPU of an authenticated request and
 * protected nothing: a reader of this process's memory also finds the tokens of the requests in
 * flight and the signing keys. 10,000 tokens of ~400 bytes are ~4 MB at most.)
 */
function tokenKey(token: string): string {
  return token;
}

function stateKey(key: { sessionId: string; orgId: string | null }): string {
  return `${key.sessionId}/${key.orgId ?? ''}`;
}

function boundedSet<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

/**
 * The authenticator's per-process caches. Verified access tokens are keyed by a SHA-256 of the
 * token (never the token itself) and dropped at their `exp`; a token's claims cannot change, so
 * only expiry and key rotation end an entry. Session states (revoked? suspended? role?) can
 * change at any moment: code that changes them calls `invalidate` after committing, other
 * processes learn of it through the database's change notifications, and an entry is trusted for
 * SESSION_STATE_TTL_MS at most.
 */
export function createSessionCache(options: { maxEntries?: number; stateTtlMs?: number } = {}): SessionCache {
  const max = options.maxEntries ?? SESSION_CACHE_MAX_ENTRIES;
  const ttl = options.stateTtlMs ?? SESSION_STATE_TTL_MS;
  const tokens = new Map<string, VerifiedAccessToken>();
  const states = new Map<string, CachedState>();
  let currentGeneration = 0;
  let stateCaching = false;

  return {
    verifiedToken(token, nowMs) {
      const key = tokenKey(token);
      const claims = tokens.get(key);
      if (!claims) return undefined;
      if (claims.expiresAt * 1000 <= nowMs) {
        tokens.delete(key);
        return undefined;
      }
      return claims;
    },
    rememberToken(token, claims) {
      boundedSet(tokens, tokenKey(token), claims, max);
    },
    state(key, nowMs) {
      if (!stateCaching) return undefined;
      const entry = states.get(stateKey(key));
      if (!entry) return undefined;
      if (nowMs - entry.cachedAt >= ttl || nowMs < entry.cachedAt) {
        states.delete(stateKey(key));
        return undefined;
      }
      return entry;
    },
    generation: () => currentGeneration,
    rememberState(state, generation, nowMs) {
      const entry: CachedState = { ...state, cachedAt: nowMs };
      if (stateCaching && generation === currentGeneration) boundedSet(states, stateKey(state), entry, max);
      return entry;
    },
    invalidate(what) {
      currentGeneration += 1;
      for (const [key, entry] of states) {
        const matches =
          'sessionId' in what
            ? entry.sessionId === what.sessionId
            : 'orgId' in what
              ? entry.orgId === what.orgId && (what.userId === undefined || entry.userId === what.userId)
              : entry.userId === what.userId;
        if (matches) states.delete(key);
      }
    },
    clearStates() {
      currentGeneration += 1;
      states.clear();
    },
    clearTokens() {
      tokens.clear();
    },
    setStateCaching(enabled) {
      currentGeneration += 1;
      stateCaching = enabled;
      if (!enabled) states.clear();
    },
    stats: () => ({ tokens: tokens.size, states: states.size, stateCaching }),
  };
}
