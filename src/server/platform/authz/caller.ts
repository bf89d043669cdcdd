import type { OrganisationRole } from '../../../contracts/permissions.ts';

/**
 * Who is making a request, as established by the identity module from a Bearer token or a
 * session cookie. `membership` is the organisation the token was issued for, with the role read
 * from the database.
 */
export type Caller = {
  userId: string;
  sessionId: string | null;
  platformAdmin: boolean;
  /** Authentication methods of the session (RFC 8176): `pwd`, `otp`, ... */
  amr: readonly string[];
  membership: { orgId: string; role: OrganisationRole } | null;
};

/**
 * Resolves the caller of a request, or null when it carries no credentials. Throws
 * AppError('unauthenticated') for credentials that are present but invalid. The identity module
 * provides the real one; until then no request is authenticated.
 */
export type Authenticator = (request: {
  headers: Record<string, string | string[] | undefined>;
}) => Promise<Caller | null>;

export const noAuthentication: Authenticator = async () => null;
