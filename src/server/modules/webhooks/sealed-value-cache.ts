import type { Keyring, SealPlace } from '../../platform/crypto/keyring.ts';

/**
 * Opened endpoint secrets and custom headers, keyed by the sealed text itself and its place.
 * Every seal uses a fresh nonce, so a rotated secret or edited headers are a different key: the
 * cache can never answer with a value the endpoint no longer has, and needs no invalidation.
 * Whether to send at all (paused, disabled, deleted) is read from the database for every
 * delivery, never from here. Bounded (oldest entries dropped first) so it cannot grow with the
 * number of endpoints seen.
 */
export function createSealedValueCache(keyring: Pick<Keyring, 'openText'>, options: { maxEntries?: number } = {}) {
  const maxEntries = options.maxEntries ?? 1_000;
  const opened = new Map<string, Promise<string>>();
  return {
    /** Like keyring.openText. Call it outside any transaction: a key reload reads data_keys. */
    openText(sealed: string, place: SealPlace): Promise<string> {
      const key = `${place.table}\u0000${place.column}\u0000${place.orgId}\u0000${place.rowId}\u0000${sealed}`;
      const cached = opened.get(key);
      if (cached) return cached;
      const opening = keyring.openText(sealed, place);
      opened.set(key, opening);
      // A failed open (key not found yet, corrupted value) is not remembered.
      opening.catch(() => opened.delete(key));
      if (opened.size > maxEntries) {
        const oldest = opened.keys().next().value;
        if (oldest !== undefined) opened.delete(oldest);
      }
      return opening;
    },
  };
}
export type SealedValueCache = ReturnType<typeof createSealedValueCache>;
