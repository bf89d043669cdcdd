import { queryOptions } from '@tanstack/react-query';
import {
  linkedIdentitiesResponseSchema,
  type SsoCallbackResponse,
  ssoCallbackResponseSchema,
  ssoProvidersResponseSchema,
  ssoStartResponseSchema,
  type SsoLinkCompleteRequest,
} from '../../contracts/sso.ts';
import { ACCOUNT_KEY } from './queries.ts';
import { apiCall, rememberNewSession } from './session.ts';

/**
 * Single sign-on as the web app uses it. The server keeps state, nonce and PKCE verifier; the
 * browser only carries an httpOnly cookie binding the attempt to it, and remembers (in
 * sessionStorage, for this tab) where to go once signed in.
 */

const NEXT_KEY = 'vigil.ssoNext';

/** The providers this installation offers (public; empty when none are configured). */
export const ssoProvidersQuery = queryOptions({
  queryKey: ['sso-providers'],
  queryFn: ({ signal }) =>
    apiCall('/api/auth/sso/providers', { parse: ssoProvidersResponseSchema.parse, signal, authenticated: false }),
  staleTime: 5 * 60_000,
});

export const linkedIdentitiesQuery = queryOptions({
  queryKey: [ACCOUNT_KEY, 'sso-identities'],
  queryFn: ({ signal }) => apiCall('/api/me/sso/identities', { parse: linkedIdentitiesResponseSchema.parse, signal }),
});

function rememberNext(next: string): void {
  try {
    window.sessionStorage.setItem(NEXT_KEY, next);
  } catch {
    // Storage refused (private mode): the user lands on the overview instead.
  }
}

/** Where the sign-in that led to the provider wanted to go afterwards (once). */
export function takeSsoNext(): string | null {
  try {
    const next = window.sessionStorage.getItem(NEXT_KEY);
    window.sessionStorage.removeItem(NEXT_KEY);
    return next;
  } catch {
    return null;
  }
}

/** Starts a sign-in with a provider and sends the browser there. */
export async function startSsoSignIn(providerId: string, next: string): Promise<void> {
  const { authorizationUrl } = await apiCall(`/api/auth/sso/${encodeURIComponent(providerId)}/start`, {
    method: 'POST',
    parse: ssoStartResponseSchema.parse,
    authenticated: false,
  });
  rememberNext(next);
  window.location.assign(authorizationUrl);
}

/** From the security page: links a provider to the signed-in account (password when it has one). */
export async function startSsoLink(providerId: string, password: string | null): Promise<void> {
  const { authorizationUrl } = await apiCall(`/api/me/sso/${encodeURIComponent(providerId)}/link`, {
    method: 'POST',
    body: password ? { password } : {},
    parse: ssoStartResponseSchema.parse,
  });
  rememberNext('/account/security');
  window.location.assign(authorizationUrl);
}

function noteSession(outcome: SsoCallbackResponse): SsoCallbackResponse {
  if (outcome.outcome === 'signed-in') rememberNewSession(outcome.accessTokenExpiresAt);
  return outcome;
}

/** Posts the provider's answer (this page's query string) to the API. */
export async function completeSsoCallback(providerId: string, search: string): Promise<SsoCallbackResponse> {
  return noteSession(
    await apiCall(`/api/auth/sso/${encodeURIComponent(providerId)}/callback`, {
      method: 'POST',
      body: { search },
      parse: ssoCallbackResponseSchema.parse,
      authenticated: false,
    }),
  );
}

/** Proves control of the existing account (password, and a code with MFA) to link the identity. */
export async function completeSsoLink(request: SsoLinkCompleteRequest): Promise<SsoCallbackResponse> {
  return noteSession(
    await apiCall('/api/auth/sso/link/complete', {
      method: 'POST',
      body: request,
      parse: ssoCallbackResponseSchema.parse,
      authenticated: false,
    }),
  );
}

export function unlinkIdentity(identityId: string) {
  return apiCall(`/api/me/sso/identities/${encodeURIComponent(identityId)}`, {
    method: 'DELETE',
    parse: linkedIdentitiesResponseSchema.parse,
  });
}
