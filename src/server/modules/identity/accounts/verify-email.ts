import { and, eq, isNull } from 'drizzle-orm';
import { users } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { AccountContext, AuditedUnit } from './account-context.ts';
import { consumeEmailToken } from './email-tokens.ts';

/** Consumes a verification token (single use, 24 h) and marks the email verified. */
export async function verifyEmail(options: {
  context: AccountContext;
  token: string;
  unit: AuditedUnit;
}): Promise<void> {
  const { context, unit } = options;
  const now = context.clock.now();
  await unit.run(async (transaction) => {
    const consumed = await consumeEmailToken({ transaction, token: options.token, purpose: 'verify_email', now });
    if (!consumed)
      throw new AppError('invalid-email-token', 'This verification link is invalid, expired or already used.');
    unit.audit.actor(consumed.userId);
    unit.audit.target('user', consumed.userId);
    await transaction
      .update(users)
      .set({ emailVerifiedAt: now, updatedAt: now })
      .where(and(eq(users.id, consumed.userId), isNull(users.emailVerifiedAt)));
  });
}
