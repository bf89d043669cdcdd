import { eq } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { organisations, users } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';

/**
 * Suspends or unsuspends a user. Suspension also moves `tokens_valid_after` to now, and the
 * caller ends every session right after (one transaction each): the user's next request fails.
 * A platform admin cannot suspend themselves (that would be a lock-out, not a moderation).
 */
export async function setUserSuspended(options: {
  transaction: Transaction;
  clock: Clock;
  actorId: string;
  userId: string;
  suspended: boolean;
}): Promise<{ changed: boolean }> {
  const { transaction, userId } = options;
  if (options.suspended && userId === options.actorId) {
    throw new AppError('conflict', 'You cannot suspend your own account.');
  }
  const [user] = await transaction.select().from(users).where(eq(users.id, userId)).for('update');
  if (!user) throw new AppError('not-found', 'No such user.');
  if ((user.suspendedAt !== null) === options.suspended) return { changed: false };
  const now = options.clock.now();
  await transaction
    .update(users)
    .set(
      options.suspended
        ? { suspendedAt: now, tokensValidAfter: now, updatedAt: now }
        : { suspendedAt: null, updatedAt: now },
    )
    .where(eq(users.id, userId));
  return { changed: true };
}

/** Throws 404 `not-found` (as the other admin actions do) unless the user exists. */
export async function requireUserExists(transaction: Transaction, userId: string): Promise<void> {
  const [user] = await transaction.select({ id: users.id }).from(users).where(eq(users.id, userId));
  if (!user) throw new AppError('not-found', 'No such user.');
}

/** Suspends or unsuspends an organisation: while suspended, no member can use it. */
export async function setOrganisationSuspended(options: {
  transaction: Transaction;
  clock: Clock;
  orgId: string;
  suspended: boolean;
}): Promise<{ changed: boolean }> {
  const { transaction, orgId } = options;
  const [organisation] = await transaction
    .select()
    .from(organisations)
    .where(eq(organisations.id, orgId))
    .for('update');
  if (!organisation) throw new AppError('not-found', 'No such organisation.');
  if ((organisation.suspendedAt !== null) === options.suspended) return { changed: false };
  const now = options.clock.now();
  await transaction
    .update(organisations)
    .set({ suspendedAt: options.suspended ? now : null, updatedAt: now })
    .where(eq(organisations.id, orgId));
  return { changed: true };
}
