import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import { newId } from '../../platform/db/ids.ts';
import { transactionQuery } from '../../platform/db/query-rows.ts';
import { users } from '../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../platform/db/tenant-transaction.ts';
import { appendAuditEvent } from '../audit/append-audit-event.ts';
import { normaliseEmail } from '../identity/accounts/normalise-email.ts';
import type { PasswordHasher } from '../identity/accounts/password-hasher.ts';
import { storePassword } from '../identity/accounts/store-password.ts';

export type PlatformAdminCreated =
  | { kind: 'created'; userId: string; password: string }
  | { kind: 'promoted'; userId: string }
  | { kind: 'unchanged'; userId: string };

/**
 * Makes `email` a platform admin (the operator's `vigil admin create`). A new account gets a
 * verified email and a generated one-time password shown once to the operator; an existing one
 * is promoted, and its sessions stop working (`tokens_valid_after`), so its next sign-in goes
 * through the platform-admin rule: MFA enrolment before anything else. Audited on the platform
 * chain as the system actor.
 */
export async function createPlatformAdmin(options: {
  database: Database;
  clock: Clock;
  hasher: Pick<PasswordHasher, 'hash'>;
  email: string;
}): Promise<PlatformAdminCreated> {
  const { database, clock } = options;
  const email = options.email.trim();
  const emailNormalised = normaliseEmail(email);
  const password = randomBytes(18).toString('base64url');
  const passwordHash = await options.hasher.hash(password);
  return withPlatformTransaction(database, { userId: null, requestId: 'cli:admin-create' }, async (transaction) => {
    const now = clock.now();
    const [existing] = await transaction
      .select()
      .from(users)
      .where(eq(users.emailNormalised, emailNormalised))
      .for('update');
    let result: PlatformAdminCreated;
    if (existing?.platformAdmin) return { kind: 'unchanged', userId: existing.id };
    if (existing) {
      await transaction
        .update(users)
        .set({ platformAdmin: true, tokensValidAfter: now, updatedAt: now })
        .where(eq(users.id, existing.id));
      result = { kind: 'promoted', userId: existing.id };
    } else {
      const userId = newId();
      await transaction.insert(users).values({
        id: userId,
        email,
        emailNormalised,
        emailVerifiedAt: now,
        platformAdmin: true,
        tokensValidAfter: now,
        createdAt: now,
        updatedAt: now,
      });
      await storePassword({ transaction, userId, passwordHash, now });
      result = { kind: 'created', userId, password };
    }
    await appendAuditEvent(transactionQuery(transaction), {
      orgId: null,
      actor: { userId: null, role: 'operator', ip: null, userAgent: 'vigil admin create' },
      action: 'platform_admin.granted',
      outcome: 'success',
      target: { type: 'user', id: result.userId },
      metadata: { how: result.kind },
      requestId: 'cli:admin-create',
      occurredAt: now,
    });
    return result;
  });
}
