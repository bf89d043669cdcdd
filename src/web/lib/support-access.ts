import { queryOptions } from '@tanstack/react-query';
import {
  type GrantSupportAccessRequest,
  revokeSupportAccessResponseSchema,
  supportAccessGrantSchema,
  supportAccessStatusSchema,
  supportDealsSchema,
} from '../../contracts/support-access.ts';
import { inOrganisation } from './organisation-scope.ts';
import { ACCOUNT_KEY } from './queries.ts';
import { apiCall } from './session.ts';

/**
 * Support access as the web app calls it: the organisation's admins grant and revoke it
 * (organisation routes, after switching the session to the organisation), the platform console
 * reads deals under it.
 */

const supportAccessPath = (orgId: string) => `/api/orgs/${encodeURIComponent(orgId)}/support-access`;

export const supportAccessQuery = (orgId: string) =>
  queryOptions({
    queryKey: [ACCOUNT_KEY, 'org', orgId, 'support-access'],
    queryFn: ({ signal }) =>
      inOrganisation(orgId, () =>
        apiCall(supportAccessPath(orgId), { parse: supportAccessStatusSchema.parse, signal }),
      ),
  });

export function grantSupportAccess(orgId: string, request: GrantSupportAccessRequest) {
  return inOrganisation(orgId, () =>
    apiCall(supportAccessPath(orgId), { method: 'POST', body: request, parse: supportAccessGrantSchema.parse }),
  );
}

export function revokeSupportAccess(orgId: string) {
  return inOrganisation(orgId, () =>
    apiCall(supportAccessPath(orgId), { method: 'DELETE', parse: revokeSupportAccessResponseSchema.parse }),
  );
}

export const supportDealsQuery = (orgId: string, cursor: string | null) =>
  queryOptions({
    queryKey: [ACCOUNT_KEY, 'admin', 'support', orgId, cursor],
    queryFn: ({ signal }) => {
      const params = new URLSearchParams({ limit: '25' });
      if (cursor) params.set('cursor', cursor);
      return apiCall(`/api/admin/organisations/${encodeURIComponent(orgId)}/support/deals?${params}`, {
        parse: supportDealsSchema.parse,
        signal,
      });
    },
    // A refusal (no grant, expired, revoked) is an answer, not a blip to retry.
    retry: false,
  });

/** Durations offered in the settings card (the API takes any whole number of hours, 1 to 72). */
export const supportAccessDurations = [
  { hours: 1, label: '1 hour' },
  { hours: 4, label: '4 hours' },
  { hours: 8, label: '8 hours' },
  { hours: 24, label: '24 hours' },
  { hours: 48, label: '2 days' },
  { hours: 72, label: '3 days' },
] as const;
