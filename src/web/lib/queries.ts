import { QueryClient, queryOptions } from '@tanstack/react-query';
import { type MeResponse, meResponseSchema, outboxResponseSchema } from '../../contracts/identity.ts';
import { mfaStatusSchema } from '../../contracts/mfa.ts';
import { sessionListSchema } from '../../contracts/sessions.ts';
import { type Status, statusSchema } from '../../contracts/status.ts';
import { ApiError, getJson } from './api.ts';
import { parseOpenApiDocument } from './openapi.ts';
import { apiCall, hasSessionCookie, onSessionEnded } from './session.ts';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // Client errors will not fix themselves; retry network blips and 5xx once.
      retry: (failureCount, error) => {
        if (error instanceof ApiError && error.status !== null && error.status < 500) return false;
        return failureCount < 1;
      },
    },
  },
});

export const statusQuery = queryOptions({
  queryKey: ['status'],
  queryFn: ({ signal }) => getJson('/api/status', (body) => statusSchema.parse(body), signal),
  refetchInterval: 30_000,
});

export const openApiQuery = queryOptions({
  queryKey: ['openapi'],
  queryFn: ({ signal }) => getJson('/api/openapi.json', parseOpenApiDocument, signal),
  staleTime: 5 * 60_000,
});

/** Everything that belongs to the signed-in user lives under this key, so sign-in and sign-out drop it at once. */
export const ACCOUNT_KEY = 'account';

/**
 * The signed-in user, or null when signed out. Without a session cookie nothing is asked (an
 * anonymous visitor causes no failed request); a session the server refuses reads as signed out.
 */
export const meQuery = queryOptions({
  queryKey: ['me'],
  queryFn: async ({ signal }): Promise<MeResponse | null> => {
    if (!hasSessionCookie()) return null;
    try {
      return await apiCall('/api/me', { parse: meResponseSchema.parse, signal });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },
  staleTime: 60_000,
});

export const mfaStatusQuery = queryOptions({
  queryKey: [ACCOUNT_KEY, 'mfa'],
  queryFn: ({ signal }) => apiCall('/api/me/mfa', { parse: mfaStatusSchema.parse, signal }),
});

export const sessionsQuery = queryOptions({
  queryKey: [ACCOUNT_KEY, 'sessions'],
  queryFn: ({ signal }) => apiCall('/api/me/sessions', { parse: sessionListSchema.parse, signal }),
});

/** Whether the page is served to this machine: the dev outbox answers loopback requests only. */
function isLoopbackHost(): boolean {
  const host = window.location.hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');
}

/** The dev outbox exists in the development and test profiles and answers loopback requests only. */
export function devOutboxAvailable(profile: Status['profile'] | undefined): boolean {
  return profile !== undefined && profile !== 'production' && isLoopbackHost();
}

export const devOutboxQuery = queryOptions({
  queryKey: ['dev-outbox'],
  queryFn: ({ signal }) => getJson('/api/dev/outbox', outboxResponseSchema.parse, signal),
  staleTime: 5_000,
});

let signOutNotice: string | null = null;

/** Why the user was last signed out, for the sign-in page an account page sends them to. */
export function lastSignOutNotice(): string | null {
  return signOutNotice;
}

/** Drops every user-specific query and re-reads who is signed in (after a sign-in). */
export async function resetAccountQueries(client: QueryClient = queryClient): Promise<void> {
  signOutNotice = null;
  client.removeQueries({ queryKey: [ACCOUNT_KEY] });
  await client.invalidateQueries({ queryKey: ['me'] });
}

/** Marks the user signed out at once, without asking the server. */
export function markSignedOut(notice: string | null = null, client: QueryClient = queryClient): void {
  signOutNotice = notice;
  client.removeQueries({ queryKey: [ACCOUNT_KEY] });
  client.setQueryData(meQuery.queryKey, null);
}

// A refresh the server refused (expired, revoked, reused) ends the session everywhere in the app.
onSessionEnded(() => markSignedOut('Your session has ended. Sign in again to continue.'));
