import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A 256-bit random token, base64url (43 characters): refresh tokens and CSRF tokens. */
export function createOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What is stored of a refresh token. A plain SHA-256 suffices (no salt, no slow hash): the input
 * has 256 bits of entropy, so there is nothing to guess, and lookups by hash stay indexable.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Compares two tokens without leaking, through timing, how long a prefix matched. */
export function opaqueTokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
