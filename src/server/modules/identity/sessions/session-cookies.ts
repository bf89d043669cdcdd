import fastifyCookie from '@fastify/cookie';
import type { FastifyReply } from 'fastify';
import { CSRF_HEADER } from '../../../../contracts/sessions.ts';
import type { IssuedTokens } from '../identity-types.ts';

export { CSRF_HEADER };

/** The request fields the session code reads (FastifyRequest has them all). */
export type SessionRequest = {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  /** 'https' when TLS, also behind a declared proxy (TRUST_PROXY). */
  protocol?: string;
};

/** Tokens as the session service issues them: with the session's CSRF token for the cookie. */
export type SessionTokens = IssuedTokens & { csrfToken: string };

type CookieNames = { access: string; refresh: string; csrf: string };

/**
 * Over TLS the cookies carry the `__Host-`/`__Secure-` prefixes: the browser then accepts them
 * only with `Secure` (and, for `__Host-`, no Domain and Path=/), so a sibling subdomain or a
 * network attacker on plain HTTP cannot plant a session or CSRF cookie of its own.
 */
const SECURE_NAMES: CookieNames = {
  access: '__Host-vigil_access',
  refresh: '__Secure-vigil_refresh',
  csrf: '__Host-vigil_csrf',
};
const PLAIN_NAMES: CookieNames = { access: 'vigil_access', refresh: 'vigil_refresh', csrf: 'vigil_csrf' };

/** The refresh token travels only to the routes that use it (refresh, sign-out). */
export const REFRESH_COOKIE_PATH = '/api/auth';

export function isSecureRequest(request: SessionRequest): boolean {
  return request.protocol === 'https';
}

export function sessionCookieNames(request: SessionRequest): CookieNames {
  return isSecureRequest(request) ? SECURE_NAMES : PLAIN_NAMES;
}

function hasCsrfToken(tokens: IssuedTokens): tokens is SessionTokens {
  return typeof (tokens as Partial<SessionTokens>).csrfToken === 'string';
}

/**
 * Puts a session's tokens into cookies (web clients): access and refresh tokens httpOnly,
 * SameSite=Strict, Secure over TLS; the CSRF token readable by the page, which echoes it in the
 * `x-csrf-token` header. Pass the object the session service returned (it carries the CSRF token).
 */
export function setSessionCookies(reply: FastifyReply, tokens: IssuedTokens): void {
  if (!hasCsrfToken(tokens)) {
    throw new Error('setSessionCookies needs the tokens object returned by the session service (with csrfToken)');
  }
  const secure = isSecureRequest(reply.request);
  const names = sessionCookieNames(reply.request);
  const common = { secure, sameSite: 'strict' as const };
  reply.setCookie(names.access, tokens.accessToken, {
    ...common,
    httpOnly: true,
    path: '/',
    expires: tokens.accessTokenExpiresAt,
  });
  reply.setCookie(names.refresh, tokens.refreshToken, {
    ...common,
    httpOnly: true,
    path: REFRESH_COOKIE_PATH,
    expires: tokens.refreshTokenExpiresAt,
  });
  reply.setCookie(names.csrf, tokens.csrfToken, {
    ...common,
    httpOnly: false,
    path: '/',
    expires: tokens.refreshTokenExpiresAt,
  });
}

/** Replaces the access cookie only (organisation switch). */
export function setAccessTokenCookie(reply: FastifyReply, accessToken: string, expiresAt: Date): void {
  reply.setCookie(sessionCookieNames(reply.request).access, accessToken, {
    secure: isSecureRequest(reply.request),
    sameSite: 'strict',
    httpOnly: true,
    path: '/',
    expires: expiresAt,
  });
}

/** Sign-out, or a refresh that failed: removes the session cookies of the request's scheme. */
export function clearSessionCookies(reply: FastifyReply): void {
  const secure = isSecureRequest(reply.request);
  const names = sessionCookieNames(reply.request);
  const common = { secure, sameSite: 'strict' as const };
  reply.clearCookie(names.access, { ...common, path: '/', httpOnly: true });
  reply.clearCookie(names.refresh, { ...common, path: REFRESH_COOKIE_PATH, httpOnly: true });
  reply.clearCookie(names.csrf, { ...common, path: '/' });
}

export type SessionCookies = { access: string | null; refresh: string | null };

/** Reads the session cookies of the request's scheme (the other scheme's names are ignored). */
export function readSessionCookies(request: SessionRequest): SessionCookies {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length === 0) return { access: null, refresh: null };
  const cookies = fastifyCookie.parse(header);
  const names = sessionCookieNames(request);
  return { access: cookies[names.access] ?? null, refresh: cookies[names.refresh] ?? null };
}

/** The bearer token of `Authorization`; null without that header, 'malformed' for any other scheme. */
export function readBearerToken(request: SessionRequest): string | null | 'malformed' {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  if (typeof header !== 'string') return 'malformed';
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
  return match?.[1] ?? 'malformed';
}

/** How a request carries its session: API clients send a bearer token, browsers cookies. */
export function sessionTransportOf(request: SessionRequest): 'bearer' | 'cookie' {
  return request.headers.authorization === undefined ? 'cookie' : 'bearer';
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a cookie-authenticated request must carry the CSRF token (unknown method: yes). */
export function needsCsrfCheck(request: SessionRequest): boolean {
  return !SAFE_METHODS.has((request.method ?? 'POST').toUpperCase());
}

export function readCsrfHeader(request: SessionRequest): string | null {
  const value = request.headers[CSRF_HEADER];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : null;
}
