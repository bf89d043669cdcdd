import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { organisationRoles, type OrganisationRole } from '../../../../contracts/permissions.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { AuthenticationMethod } from '../identity-types.ts';
import { ACCESS_TOKEN_LIFETIME_MS, CLOCK_TOLERANCE_SECONDS } from './session-lifetimes.ts';
import type { SigningKeyStore } from './signing-key-store.ts';

/** RFC 9068: the media type of OAuth-style access tokens, checked so no other JWT passes as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_AUDIENCE = 'vigil-api';

/** What an access token says, once verified. */
export type AccessTokenClaims = {
  userId: string;
  sessionId: string;
  orgId: string | null;
  role: OrganisationRole | null;
  amr: AuthenticationMethod[];
  /** Seconds since the epoch (the JWT `iat`), compared with users.tokens_valid_after. */
  issuedAt: number;
  /** When the session last passed a second factor (seconds), for step-up prompts. */
  secondFactorAt: number | null;
};

/** Verified claims plus the token's `exp` (seconds), which bounds how long they may be cached. */
export type VerifiedAccessToken = AccessTokenClaims & { expiresAt: number };

const payloadSchema = z.object({
  sub: z.uuid(),
  sid: z.uuid(),
  org: z.uuid().nullable(),
  role: z.enum(organisationRoles).nullable(),
  amr: z.array(z.enum(['pwd', 'otp', 'sso'])).min(1),
  iat: z.number().int(),
  exp: z.number().int(),
  otp_at: z.number().int().nullable().optional(),
});

/** Signs an access token with the active key: EdDSA, `kid`, `typ: at+jwt`, ≤10 minutes. */
export async function signAccessToken(options: {
  keys: SigningKeyStore;
  issuer: string;
  claims: Omit<AccessTokenClaims, 'issuedAt'>;
  issuedAt: Date;
}): Promise<{ token: string; expiresAt: Date }> {
  const { kid, privateKey } = await options.keys.signingKey();
  const { claims } = options;
  const iat = Math.floor(options.issuedAt.getTime() / 1000);
  const exp = iat + ACCESS_TOKEN_LIFETIME_MS / 1000;
  const token = await new SignJWT({
    sid: claims.sessionId,
    org: claims.orgId,
    role: claims.orgId ? claims.role : null,
    amr: claims.amr,
    otp_at: claims.secondFactorAt,
  })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: ACCESS_TOKEN_TYPE })
    .setSubject(claims.userId)
    .setIssuer(options.issuer)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(privateKey);
  return { token, expiresAt: new Date(exp * 1000) };
}

function invalid(detail = 'The access token is invalid.'): AppError {
  return new AppError('unauthenticated', detail);
}

/** Longest token we parse: ours are ~500 bytes; this bounds the work a junk header can cause. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * Verifies an access token or throws AppError('unauthenticated'). The key comes only from our own
 * store by `kid` — never from the token (`jwk`, `jku`, `x5u`, `x5c` headers are ignored) — and the
 * algorithm is pinned to EdDSA before and during verification, so `alg: none` and HS256 signed
 * with the public key cannot pass. `typ`, `iss`, `aud`, `exp` and `iat` are all required.
 */
export async function verifyAccessToken(options: {
  token: string;
  keys: SigningKeyStore;
  issuer: string;
  now: Date;
}): Promise<VerifiedAccessToken> {
  const { token } = options;
  if (token.length > MAX_TOKEN_LENGTH) throw invalid();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalid();
  }
  if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') throw invalid();
  const key = await options.keys.verificationKey(header.kid);
  if (!key) throw invalid('The access token was signed by an unknown or retired key.');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['EdDSA'],
      typ: ACCESS_TOKEN_TYPE,
      issuer: options.issuer,
      audience: ACCESS_TOKEN_AUDIENCE,
      currentDate: options.now,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw invalid('The access token has expired; refresh it.');
    throw invalid();
  }
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw invalid();
  const claims = parsed.data;
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    orgId: claims.org,
    role: claims.org ? claims.role : null,
    amr: claims.amr,
    issuedAt: claims.iat,
    secondFactorAt: claims.otp_at ?? null,
    expiresAt: claims.exp,
  };
}
