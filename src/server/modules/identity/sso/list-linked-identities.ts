import { asc, eq } from 'drizzle-orm';
import type { LinkedIdentitiesResponse } from '../../../../contracts/sso.ts';
import { passwordCredentials } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import type { SsoDependencies } from './sso-dependencies.ts';
import { userIdentities } from './sso-tables.ts';

/** The caller's linked identities, and whether the account also has a password. */
export async function listLinkedIdentities(
  deps: SsoDependencies,
  options: { userId: string; requestId: string },
): Promise<LinkedIdentitiesResponse> {
  const { rows, hasPassword } = await withPlatformTransaction(
    deps.database,
    { userId: options.userId, requestId: options.requestId },
    async (transaction) => {
      const rows = await transaction
        .select()
        .from(userIdentities)
        .where(eq(userIdentities.userId, options.userId))
        .orderBy(asc(userIdentities.createdAt), asc(userIdentities.id));
      const [password] = await transaction
        .select({ userId: passwordCredentials.userId })
        .from(passwordCredentials)
        .where(eq(passwordCredentials.userId, options.userId));
      return { rows, hasPassword: password !== undefined };
    },
  );
  const configured = new Map(deps.providers.list().map((provider) => [provider.id, provider]));
  return {
    hasPassword,
    items: rows.map((row) => ({
      id: row.id,
      // A provider removed from the configuration still shows (and can be unlinked).
      provider: configured.get(row.provider) ?? { id: row.provider, name: row.provider, kind: 'oidc' as const },
      email: row.email,
      createdAt: row.createdAt.toISOString(),
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    })),
  };
}
