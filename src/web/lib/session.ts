import { CSRF_HEADER, sessionTokensSchema } from '../../contracts/sessions.ts';
import { ApiError, errorFromResponse, readJson, send } from './api.ts';

/**
 * The browser session. The server keeps the access and refresh tokens in httpOnly cookies the page
 * never sees; the page only reads the CSRF cookie (to echo it in `x-csrf-token` on every unsafe
 * request) and remembers when the access token expires, so it can refresh before a request
 * instead of after a 401. Nothing secret is stored by the page.
 */

/** Over TLS the server uses the `__Host-` name (see session-cookies.ts on the server). */
const CSRF_COOKIES = { secure: '__Host-vigil_csrf', plain: 'vigil_csrf' } as const;
const EXPIRY_KEY = 'vigil.accessExpiresAt';
const ACTIVE_ORG_KEY = 'vigil.activeOrgId';
/** Refresh this long before the access token expires, to allow for clock skew and slow requests. */
const EXPIRY_MARGIN_MS = 20_000;

function readCookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) {
      const value = part.slice(index + 1).trim();
      return value.length > 0 ? decodeURIComponent(value) : null;
    }
  }
  return null;
}

/** The session's CSRF token, or null without a session. */
export function readCsrfToken(): string | null {
  const names =
    window.location.protocol === 'https:'
      ? [CSRF_COOKIES.secure, CSRF_COOKIES.plain]
      : [CSRF_COOKIES.plain, CSRF_COOKIES.secure];
  for (const name of names) {
    const value = readCookie(name);
    if (value) return value;
  }
  return null;
}

/**
 * Whether the browser probably has a session: the CSRF cookie lives as long as the refresh token.
 * Without it there is nothing to ask the server, so an anonymous visitor causes no failed request.
 */
export function hasSessionCookie(): boolean {
  return readCsrfToken() !== null;
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Notes when the current access token expires (from any response that issued one). */
export function rememberAccessExpiry(expiresAt: string): void {
  const time = Date.parse(expiresAt);
  if (Number.isFinite(time)) storage()?.setItem(EXPIRY_KEY, String(time));
}

/** A new session started (sign-in): it is scoped to the user's first organisation until switched. */
export function rememberNewSession(accessTokenExpiresAt: string): void {
  storage()?.removeItem(ACTIVE_ORG_KEY);
  rememberAccessExpiry(accessTokenExpiresAt);
}

/** The session is over: nothing about it is worth keeping. */
export function forgetAccessExpiry(): void {
  storage()?.removeItem(EXPIRY_KEY);
  storage()?.removeItem(ACTIVE_ORG_KEY);
}

/** The organisation the session's access token was last switched to, if this browser knows it. */
export function activeOrganisation(): string | null {
  return storage()?.getItem(ACTIVE_ORG_KEY) ?? null;
}

export function rememberActiveOrganisation(orgId: string): void {
  storage()?.setItem(ACTIVE_ORG_KEY, orgId);
}

function accessTokenIsStale(): boolean {
  const stored = Number(storage()?.getItem(EXPIRY_KEY) ?? Number.NaN);
  return Number.isFinite(stored) && stored - EXPIRY_MARGIN_MS <= Date.now();
}

type SessionListener = () => void;
const endedListeners = new Set<SessionListener>();

/** Called when the session is found to be over (refresh refused): the app signs the user out. */
export function onSessionEnded(listener: SessionListener): () => void {
  endedListeners.add(listener);
  return () => endedListeners.delete(listener);
}

function sessionEnded(): void {
  forgetAccessExpiry();
  for (const listener of endedListeners) listener();
}

let refreshing: Promise<void> | null = null;

/**
 * Exchanges the refresh cookie for new tokens. Concurrent callers share one request: each refresh
 * token works once, and presenting a used one would end the session.
 */
export function refreshSession(): Promise<void> {
  refreshing ??= (async () => {
    const csrf = readCsrfToken();
    if (!csrf) throw new ApiError('You are not signed in.', { status: 401 });
    const response = await send('/api/auth/refresh', {
      method: 'POST',
      headers: { accept: 'application/json', [CSRF_HEADER]: csrf },
    });
    if (!response.ok) throw await errorFromResponse(response);
    const tokens = await readJson(response, (body) => sessionTokensSchema.parse(body));
    rememberAccessExpiry(tokens.accessTokenExpiresAt);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Refreshes, reporting a refused refresh as the end of the session. */
async function refreshOrEnd(): Promise<void> {
  try {
    await refreshSession();
  } catch (error) {
    if (error instanceof ApiError && error.status !== null && error.status < 500) sessionEnded();
    throw error;
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiCallOptions<T> {
  method?: HttpMethod;
  /** Sent as JSON. Omitted: no body. */
  body?: unknown;
  parse: (body: unknown) => T;
  signal?: AbortSignal;
  /**
   * The route needs the signed-in session (default): the access token is refreshed first when it
   * is about to expire, and once more on a 401, before the request is retried.
   */
  authenticated?: boolean;
}

async function attempt(path: string, method: HttpMethod, options: ApiCallOptions<unknown>): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = readCsrfToken();
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  return send(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
}

/**
 * Calls the API with the browser session: JSON in and out, CSRF header on unsafe methods, refresh
 * and retry on an expired access token. Throws `ApiError` with the problem document on failure.
 */
export async function apiCall<T>(path: string, options: ApiCallOptions<T>): Promise<T> {
  const method = options.method ?? 'GET';
  const authenticated = options.authenticated ?? true;
  if (authenticated && hasSessionCookie() && accessTokenIsStale()) await refreshOrEnd();
  let response = await attempt(path, method, options);
  if (authenticated && response.status === 401 && hasSessionCookie()) {
    const error = await errorFromResponse(response);
    if (!error.is('unauthenticated')) throw error;
    await refreshOrEnd();
    response = await attempt(path, method, options);
  }
  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (authenticated && response.status === 401) sessionEnded();
    throw error;
  }
  return readJson(response, options.parse);
}

/** Makes sure the access cookie is fresh, e.g. before following a plain link to an authenticated download. */
export async function ensureFreshSession(): Promise<void> {
  if (hasSessionCookie() && accessTokenIsStale()) await refreshOrEnd();
}
