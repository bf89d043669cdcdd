import { eq } from 'drizzle-orm';
import type { Transaction } from '../../../platform/db/database.ts';
import { passwordCredentials, users } from '../../../platform/db/schema.ts';

export type Account = {
  id: string;
  email: string;
  displayName: string | null;
  emailVerifiedAt: Date | null;
  suspendedAt: Date | null;
  platformAdmin: boolean;
  /** null: no password credential (an account that signs in another way). */
  passwordHash: string | null;
};

const accountColumns = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  emailVerifiedAt: users.emailVerifiedAt,
  suspendedAt: users.suspendedAt,
  platformAdmin: users.platformAdmin,
  passwordHash: passwordCredentials.passwordHash,
};

/** The account with this normalised email and its password hash, if any. */
export async function findAccountByEmail(options: {
  transaction: Transaction;
  emailNormalised: string;
}): Promise<Account | null> {
  const [row] = await options.transaction
    .select(accountColumns)
    .from(users)
    .leftJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
    .where(eq(users.emailNormalised, options.emailNormalised));
  return row ?? null;
}

export async function findAccountById(options: { transaction: Transaction; userId: string }): Promise<Account | null> {
  const [row] = await options.transaction
    .select(accountColumns)
    .from(users)
    .leftJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
    .where(eq(users.id, options.userId));
  return row ?? null;
}
