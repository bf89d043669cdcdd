import { createHmac, randomBytes } from 'node:crypto';

/** Ten codes: enough to survive losing the authenticator more than once before regenerating. */
export const RECOVERY_CODE_COUNT = 10;

/**
 * Crockford's base32 alphabet (no i, l, o, u): 32 symbols, so each byte's low 5 bits pick one
 * uniformly (256 is a multiple of 32). 12 symbols = 60 bits per code.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const SYMBOLS = 12;
const GROUP = 4;

/** One code, `xxxx-xxxx-xxxx`. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(SYMBOLS);
  const symbols = Array.from(bytes, (byte) => ALPHABET[byte & 31]).join('');
  return `${symbols.slice(0, GROUP)}-${symbols.slice(GROUP, 2 * GROUP)}-${symbols.slice(2 * GROUP)}`;
}

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
}

/**
 * The canonical form of a code as a person types it: case, spaces and dashes ignored, and the
 * look-alikes Crockford's alphabet leaves out read as the digits they resemble. Null if it cannot
 * be a code (it then counts as a wrong guess without touching the database's hashes).
 */
export function normaliseRecoveryCode(input: string): string | null {
  const compact = input
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
  return compact.length === SYMBOLS && [...compact].every((symbol) => ALPHABET.includes(symbol)) ? compact : null;
}

/**
 * HMAC-SHA256 of the canonical code under the user's recovery-code key (32 random bytes, sealed
 * in mfa_totp). Why not bcrypt: a code carries 60 random bits, so a slow hash adds nothing against
 * guessing, while checking one typed code against ten bcrypt hashes would cost ~0.5 s of CPU per
 * attempt (a denial-of-service lever on a public route). Why keyed: a database dump alone (without
 * the master key) gives no way to test guesses at all. Why a per-user sealed key rather than one
 * derived from the master key: master-key rotation re-wraps data keys but would change a derived
 * key and silently invalidate every code; a sealed key is re-encrypted by rotation like any secret.
 */
export function hashRecoveryCode(options: { key: Buffer; code: string }): string {
  return createHmac('sha256', options.key).update(`vigil-recovery-code:${options.code}`).digest('hex');
}
