import { switchOrganisation } from './account.ts';
import { ApiError } from './api.ts';
import { activeOrganisation } from './session.ts';

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
