/**
 * The lifetimes the security design fixes (DESIGN.md §6). Constants, not configuration: an
 * installation has no good reason to weaken them, and tests move the clock past them.
 */

/** Access tokens: short enough that a stolen one is useful for minutes, not days. */
export const ACCESS_TOKEN_LIFETIME_MS = 10 * 60 * 1000;

/** A session not refreshed for this long ends (its last refresh token expires). */
export const SESSION_IDLE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** No refresh extends a session past this, counted from sign-in. */
export const SESSION_ABSOLUTE_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * How long the immediate parent of the current refresh token may still get that token back: a
 * client whose refresh response was lost on the network retries with the old token. Anything
 * older, or any other ancestor, is reuse.
 */
export const REFRESH_REUSE_GRACE_MS = 10 * 1000;

/** Step-up: sensitive actions need a second factor passed within this window. */
export const STEP_UP_WINDOW_MS = 10 * 60 * 1000;

/** A signing key signs for this long before the scheduled rotation replaces it. */
export const SIGNING_KEY_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/** Processes re-read the signing keys at least this often (another process may have rotated). */
export const SIGNING_KEY_CACHE_MS = 60 * 1000;

/**
 * A retired signing key stays published and accepted this long: every token it signed has
 * expired by then, including tokens another process signed before its cache noticed the rotation.
 */
export const RETIRED_KEY_VERIFY_MS = ACCESS_TOKEN_LIFETIME_MS + 2 * SIGNING_KEY_CACHE_MS;

/** Revoked and expired sessions stay listed (reuse alerts on the security page) this long. */
export const ENDED_SESSION_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Tolerated clock difference between servers when checking `exp`. */
export const CLOCK_TOLERANCE_SECONDS = 5;
