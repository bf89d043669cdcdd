import fastifyCookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isSecureRequest } from '../sessions/session-cookies.ts';
import { SSO_ATTEMPT_MS } from './sso-dependencies.ts';

/** Only the SSO routes ever receive it. */
const COOKIE_PATH = '/api/auth/sso';

/** `__Secure-` over TLS: the browser then refuses it without Secure (no plain-HTTP planting). */
function cookieName(request: FastifyRequest): string {
  return isSecureRequest(request) ? '__Secure-vigil_sso' : 'vigil_sso';
}

/**
 * Binds an SSO attempt to the browser that started it: a random value in an httpOnly cookie whose
 * hash the attempt stores. SameSite=Lax, not Strict: the browser comes back from the provider by a
 * cross-site navigation, and the page then posts the answer same-origin (Lax still keeps the cookie
 * off cross-site POSTs).
 */
export function setSsoBindingCookie(reply: FastifyReply, binding: string): void {
  reply.setCookie(cookieName(reply.request), binding, {
    httpOnly: true,
    secure: isSecureRequest(reply.request),
    sameSite: 'lax',
    path: COOKIE_PATH,
    maxAge: SSO_ATTEMPT_MS / 1000,
  });
}

export function readSsoBindingCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length === 0) return null;
  const value = fastifyCookie.parse(header)[cookieName(request)];
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
}

export function clearSsoBindingCookie(reply: FastifyReply): void {
  reply.clearCookie(cookieName(reply.request), { path: COOKIE_PATH });
}
