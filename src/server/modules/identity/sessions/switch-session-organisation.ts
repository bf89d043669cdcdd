import { eq } from 'drizzle-orm';
import type { OrganisationRole } from '../../../../contracts/permissions.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import { issueAccessToken } from './issue-access-token.ts';
import { resolveTokenSubject } from './resolve-token-subject.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { sessions } from './session-tables.ts';
import { normaliseAmr } from './start-session.ts';

/**
 * Points the caller's session at another of their organisations and re-issues its access token,
 * with the role read from the database. The next refreshes keep that organisation. Someone else's
 * organisation is 404, like every organisation the caller cannot see.
 */
export async function switchSessionOrganisation(
  dependencies: SessionDependencies,
  options: { userId: string; sessionId: string; orgId: string; requestId: string },
): Promise<{ accessToken: string; accessTokenExpiresAt: Date; orgId: string; role: OrganisationRole }> {
  const { database, clock } = dependencies;
  const now = clock.now();
  const { session, subject } = await withPlatformTransaction(
    database,
    { userId: options.userId, requestId: options.requestId },
    async (transaction) => {
      const [row] = await transaction.select().from(sessions).where(eq(sessions.id, options.sessionId)).for('update');
      if (!row || row.userId !== options.userId || row.revokedAt || row.absoluteExpiresAt <= now) {
        throw new AppError('unauthenticated', 'The session has ended; sign in again.');
      }
      const amr = normaliseAmr(row.amr);
      const resolved = await resolveTokenSubject(transaction, { userId: row.userId, orgId: options.orgId, amr });
      if (!resolved || resolved.suspended) throw new AppError('unauthenticated', 'This account cannot sign in.');
      if (resolved.platformAdmin && !amr.includes('otp')) {
        throw new AppError('forbidden', 'Platform administrators must verify with MFA before using an organisation.');
      }
      if (resolved.orgId !== options.orgId || !resolved.role) throw new AppError('not-found');
      await transaction.update(sessions).set({ currentOrgId: options.orgId }).where(eq(sessions.id, row.id));
      return { session: row, subject: resolved };
    },
  );
  const access = await issueAccessToken(dependencies, { session, subject, issuedAt: now });
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    orgId: options.orgId,
    role: subject.role as OrganisationRole,
  };
}
