import { z } from 'zod';
import { organisationRoles } from './permissions.ts';

/**
 * Sessions as the web app and API clients see them. Web clients keep their tokens in httpOnly
 * cookies and never see them in a body; API clients get them in the body and send the access
 * token as `Authorization: Bearer`. See docs and src/server/modules/identity/sessions/.
 */

/** The header that carries the CSRF token (read from the `vigil_csrf` cookie) on cookie sessions. */
export const CSRF_HEADER = 'x-csrf-token';

/** 256-bit random refresh token, base64url. */
export const refreshTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a refresh token');

/** Tokens of a session. Cookie sessions get only the expiry times: the tokens are in cookies. */
export const sessionTokensSchema = z.object({
  sessionId: z.uuid(),
  accessToken: z.string().optional(),
  accessTokenExpiresAt: z.string(),
  refreshToken: z.string().optional(),
  refreshTokenExpiresAt: z.string(),
});
export type SessionTokensView = z.infer<typeof sessionTokensSchema>;

export const refreshRequestSchema = z
  .object({
    /** API clients send it here; web clients send nothing (the cookie carries it). */
    refreshToken: refreshTokenSchema.optional(),
  })
  .optional();

export const signOutRequestSchema = z
  .object({
    refreshToken: refreshTokenSchema.optional(),
    /** End every session of the account, and invalidate all its access tokens at once. */
    everywhere: z.boolean().optional(),
  })
  .optional();

export const sessionViewSchema = z.object({
  id: z.uuid(),
  /** The session making this request. */
  current: z.boolean(),
  /** Browser and operating system guessed from the user agent, e.g. "Firefox on macOS". */
  device: z.string(),
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  amr: z.array(z.string()),
  createdAt: z.string(),
  /** The last refresh (access tokens are checked without writing, so this lags by ≤10 minutes). */
  lastUsedAt: z.string(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

/** A session ended because one of its refresh tokens was presented twice: likely stolen. */
export const sessionAlertSchema = z.object({
  kind: z.literal('refresh_token_reuse'),
  sessionId: z.uuid(),
  detectedAt: z.string(),
  device: z.string(),
  ip: z.string().nullable(),
});
export type SessionAlert = z.infer<typeof sessionAlertSchema>;

export const sessionListSchema = z.object({
  items: z.array(sessionViewSchema),
  alerts: z.array(sessionAlertSchema),
});
export type SessionList = z.infer<typeof sessionListSchema>;

export const revokedSessionsSchema = z.object({ revoked: z.number().int() });

export const switchOrganisationRequestSchema = z.object({ orgId: z.uuid() });

export const accessTokenSchema = z.object({
  accessToken: z.string().optional(),
  accessTokenExpiresAt: z.string(),
  orgId: z.uuid().nullable(),
  role: z.enum(organisationRoles).nullable(),
});
export type AccessTokenView = z.infer<typeof accessTokenSchema>;

export const jwksSchema = z.object({
  keys: z.array(
    z.object({
      kty: z.literal('OKP'),
      crv: z.literal('Ed25519'),
      x: z.string(),
      kid: z.string(),
      alg: z.literal('EdDSA'),
      use: z.literal('sig'),
    }),
  ),
});
