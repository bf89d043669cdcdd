import { organisationRoles, type OrganisationRole } from '../../../../contracts/permissions.ts';
import type { Database } from '../../../platform/db/database.ts';

/** What authenticating a request needs to know about its session, its user and their membership. */
export type SessionState = {
  userId: string;
  sessionId: string;
  orgId: string | null;
  revoked: boolean;
  absoluteExpiresAt: number;
  /** Sealed (AAD sessions:csrf_token:<id>:); opened only for cookie requests that change state. */
  sealedCsrfToken: string;
  platformAdmin: boolean;
  suspended: boolean;
  /** Whole seconds: tokens issued before this second are refused. */
  tokensValidAfterSeconds: number;
  /** The user's current role in `orgId`; null when the token names no organisation or they left it. */
  role: OrganisationRole | null;
};

type Row = {
  revoked_at: Date | string | null;
  absolute_expires_at: Date | string;
  csrf_token: string;
  platform_admin: boolean;
  suspended_at: Date | string | null;
  tokens_valid_after: Date | string;
  role: string | null;
};

const millis = (value: Date | string) => (value instanceof Date ? value.getTime() : Date.parse(value));

function isRole(value: string | null): value is OrganisationRole {
  return value !== null && (organisationRoles as readonly string[]).includes(value);
}

/**
 * One round trip (`vigil_session_state`, migrations/0009): the session of `sessionId` if it
 * belongs to `userId`, the user's standing and their live role in `orgId`. Null when there is no
 * such session (ended and purged, never existed, or another user's).
 */
export async function readSessionState(
  database: Pick<Database, 'query'>,
  key: { sessionId: string; userId: string; orgId: string | null },
): Promise<SessionState | null> {
  const [row] = await database.query<Row>('SELECT * FROM vigil_session_state($1, $2, $3)', [
    key.sessionId,
    key.userId,
    key.orgId,
  ]);
  if (!row) return null;
  return {
    ...key,
    revoked: row.revoked_at !== null,
    absoluteExpiresAt: millis(row.absolute_expires_at),
    sealedCsrfToken: row.csrf_token,
    platformAdmin: row.platform_admin,
    suspended: row.suspended_at !== null,
    tokensValidAfterSeconds: Math.floor(millis(row.tokens_valid_after) / 1000),
    role: key.orgId && isRole(row.role) ? row.role : null,
  };
}
