import { infiniteQueryOptions } from '@tanstack/react-query';
import { auditEventListSchema } from '../../contracts/audit.ts';
import { switchOrganisation } from './account.ts';
import { ApiError } from './api.ts';
import { ACCOUNT_KEY } from './queries.ts';
import { activeOrganisation, apiCall, ensureFreshSession } from './session.ts';

/** The audit log filters as they live in the page's URL (`?action=session.*&actor=…&range=7d`). */
export interface AuditFilters {
  /** An action prefix as typed (`session.`), or an exact action. */
  action: string;
  actor: string;
  range: AuditRange;
  /** `datetime-local` values (local time) for the custom range. */
  from: string;
  to: string;
}

export const auditRanges = {
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000 },
  all: { label: 'All time', ms: null },
  custom: { label: 'Custom range', ms: null },
} as const;
export type AuditRange = keyof typeof auditRanges;

export function isAuditRange(value: string | null): value is AuditRange {
  return value !== null && Object.hasOwn(auditRanges, value);
}

export const ACTION_PATTERN = /^[a-z0-9_.*]{1,100}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function filtersFromSearch(params: URLSearchParams): AuditFilters {
  const range = params.get('range');
  return {
    action: params.get('action') ?? '',
    actor: params.get('actor') ?? '',
    range: isAuditRange(range) ? range : 'all',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

export function filtersToSearch(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.action) params.set('action', filters.action);
  if (filters.actor) params.set('actor', filters.actor);
  if (filters.range !== 'all') params.set('range', filters.range);
  if (filters.range === 'custom') {
    if (filters.from) params.set('from', filters.from);
    if (filters.to) params.set('to', filters.to);
  }
  return params;
}

/** What is wrong with the filters, by field, before anything is sent. */
export function validateFilters(filters: AuditFilters): Partial<Record<'action' | 'actor' | 'range', string>> {
  const errors: Partial<Record<'action' | 'actor' | 'range', string>> = {};
  const action = filters.action.trim();
  if (action && !ACTION_PATTERN.test(action)) {
    errors.action = 'Use lowercase letters, digits, dots and underscores, like “session.” or “mfa.enrolled”.';
  }
  if (filters.actor.trim() && !UUID_PATTERN.test(filters.actor.trim())) {
    errors.actor = 'Paste a user ID (a UUID), or pick an actor from the table.';
  }
  if (filters.range === 'custom' && filters.from && filters.to && Date.parse(filters.from) >= Date.parse(filters.to)) {
    errors.range = 'The start must be before the end.';
  }
  return errors;
}

/** The API query for a set of filters. Relative ranges are resolved now, when the request is made. */
export function apiQuery(filters: AuditFilters, now: number): URLSearchParams {
  const params = new URLSearchParams();
  const action = filters.action.trim();
  // A prefix filter: what was typed, then anything (`session.` → `session.*`).
  if (action) params.set('action', action.endsWith('*') ? action : `${action}*`);
  if (filters.actor.trim()) params.set('actor', filters.actor.trim().toLowerCase());
  const span = auditRanges[filters.range].ms;
  if (span !== null) params.set('from', new Date(now - span).toISOString());
  if (filters.range === 'custom') {
    const from = Date.parse(filters.from);
    const to = Date.parse(filters.to);
    if (Number.isFinite(from)) params.set('from', new Date(from).toISOString());
    if (Number.isFinite(to)) params.set('to', new Date(to).toISOString());
  }
  return params;
}

/**
 * Organisation routes answer for the organisation the session's access token is scoped to (a
 * sign-in picks the first membership). Switch the session to this one first, unless this browser
 * already did; a 404 afterwards means the token was re-scoped elsewhere, so switch and retry once.
 */
export async function inOrganisation<T>(orgId: string, call: () => Promise<T>): Promise<T> {
  let switched = false;
  if (activeOrganisation() !== orgId) {
    await switchOrganisation(orgId);
    switched = true;
  }
  try {
    return await call();
  } catch (error) {
    if (switched || !(error instanceof ApiError && error.is('not-found'))) throw error;
    await switchOrganisation(orgId);
    return call();
  }
}

const PAGE_SIZE = 50;

export function auditEventsQuery(orgId: string, filters: AuditFilters) {
  return infiniteQueryOptions({
    queryKey: [ACCOUNT_KEY, 'audit', orgId, filters],
    queryFn: ({ pageParam, signal }) => {
      const params = apiQuery(filters, Date.now());
      params.set('limit', String(PAGE_SIZE));
      if (pageParam !== null) params.set('cursor', String(pageParam));
      return inOrganisation(orgId, () =>
        apiCall(`/api/orgs/${encodeURIComponent(orgId)}/audit-events?${params.toString()}`, {
          parse: auditEventListSchema.parse,
          signal,
        }),
      );
    },
    initialPageParam: null as number | null,
    getNextPageParam: (lastPage) => lastPage.nextCursor,
    staleTime: 15_000,
  });
}

/** The export URL for the filters (a plain link: the browser sends the session cookie). */
export function exportUrl(orgId: string, filters: AuditFilters, format: 'csv' | 'jsonl', now: number): string {
  const params = apiQuery(filters, now);
  params.set('format', format);
  return `/api/orgs/${encodeURIComponent(orgId)}/audit-events/export?${params.toString()}`;
}

/** Before following an export link: a fresh access token, scoped to the organisation. */
export async function prepareExport(orgId: string): Promise<void> {
  await ensureFreshSession();
  if (activeOrganisation() !== orgId) await switchOrganisation(orgId);
}
