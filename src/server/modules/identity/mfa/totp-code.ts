import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 as every authenticator app implements it: HMAC-SHA-1, 6 digits, 30-second steps.
 * Other parameters are in the RFC but many apps silently ignore them and show wrong codes.
 */
export const TOTP_PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

/** Codes of the neighbouring steps are accepted too (clock drift, slow typing): ±30 s. */
export const TOTP_WINDOW = 1;

/** 160 bits, the HMAC-SHA-1 block-size recommendation of RFC 4226 §4. */
const SECRET_BYTES = 20;

/** A fresh random secret, base32-encoded as otpauth URIs and manual entry use it. */
export function newTotpSecret(): string {
  // otpauth draws the bytes from node:crypto randomBytes (the CSPRNG).
  return new Secret({ size: SECRET_BYTES }).base32;
}

function totpFor(options: { secretBase32: string; issuer?: string; accountName?: string }): TOTP {
  return new TOTP({
    ...TOTP_PARAMETERS,
    secret: Secret.fromBase32(options.secretBase32),
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.accountName ? { label: options.accountName } : {}),
  });
}

/** The `otpauth://totp/...` URI an authenticator app scans. */
export function totpUri(options: { secretBase32: string; issuer: string; accountName: string }): string {
  return totpFor(options).toString();
}

/** The step (30-second counter since the epoch) a time falls in. */
export function totpStepAt(time: Date): number {
  return TOTP.counter({ period: TOTP_PARAMETERS.period, timestamp: time.getTime() });
}

/**
 * The time step whose code `code` is, within ±TOTP_WINDOW of `now`, or null if it matches none.
 * Time comes from the caller's clock, never from Date.now(). The comparison is constant-time
 * (otpauth compares with timingSafeEqual).
 */
export function findTotpStep(options: { secretBase32: string; code: string; now: Date }): number | null {
  const delta = totpFor(options).validate({
    token: options.code,
    timestamp: options.now.getTime(),
    window: TOTP_WINDOW,
  });
  return delta === null ? null : totpStepAt(options.now) + delta;
}

/** The code for a time (what an authenticator app would show): tests and nothing else need it. */
export function totpCodeAt(options: { secretBase32: string; time: Date }): string {
  return totpFor(options).generate({ timestamp: options.time.getTime() });
}
