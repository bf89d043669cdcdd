import { eq } from 'drizzle-orm';
import type { Transaction } from '../../../platform/db/database.ts';
import { passwordCredentials, users } from '../../../platform/db/schema.ts';

/**
 * Sets a user's password hash (creating the credential if the account had none) and moves
 * `tokens_valid_after` to now, so every access token issued before — the caller's included — is
 * refused from this moment on instead of at its expiry.
 */
export async function storePassword(options: {
  transaction: Transaction;
  userId: string;
  passwordHash: string;
  now: Date;
  /** A completed reset proves control of the mailbox, which is what verification asks. */
  markEmailVerified?: boolean;
}): Promise<void> {
  const { transaction, userId, passwordHash, now } = options;
  await transaction
    .insert(passwordCredentials)
    .values({ userId, passwordHash, updatedAt: now })
    .onConflictDoUpdate({ target: passwordCredentials.userId, set: { passwordHash, updatedAt: now } });
  const [user] = await transaction
    .select({ emailVerifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(eq(users.id, userId));
  await transaction
    .update(users)
    .set({
      tokensValidAfter: now,
      updatedAt: now,
      ...(options.markEmailVerified && !user?.emailVerifiedAt ? { emailVerifiedAt: now } : {}),
    })
    .where(eq(users.id, userId));
}
