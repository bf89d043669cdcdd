import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Transaction } from '../../../platform/db/database.ts';
import { newId } from '../../../platform/db/ids.ts';
import { emailTokens } from '../../../platform/db/schema.ts';

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

export const VERIFY_EMAIL_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
export const RESET_PASSWORD_TOKEN_TTL_MS = 30 * 60 * 1000;

/** SHA-256 of the token: a 256-bit random value needs no salt or slow hash to be safe at rest. */
export function hashEmailToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates a single-use token (256-bit random, base64url) and stores only its hash. */
export async function issueEmailToken(options: {
  transaction: Transaction;
  userId: string;
  purpose: EmailTokenPurpose;
  now: Date;
}): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const ttl = options.purpose === 'verify_email' ? VERIFY_EMAIL_TOKEN_TTL_MS : RESET_PASSWORD_TOKEN_TTL_MS;
  await options.transaction.insert(emailTokens).values({
    id: newId(),
    userId: options.userId,
    purpose: options.purpose,
    tokenHash: hashEmailToken(token),
    createdAt: options.now,
    expiresAt: new Date(options.now.getTime() + ttl),
  });
  return token;
}

/** The user a token would be consumed for, if it is unused and unexpired (nothing is changed). */
export async function findUsableEmailToken(options: {
  transaction: Transaction;
  token: string;
  purpose: EmailTokenPurpose;
  now: Date;
}): Promise<{ userId: string } | null> {
  const [row] = await options.transaction
    .select({ userId: emailTokens.userId })
    .from(emailTokens)
    .where(usable(options));
  return row ?? null;
}

/**
 * Marks the token used and returns its user, or null if it is unknown, expired, already used or
 * for another purpose. One conditional UPDATE: of two concurrent uses exactly one gets the row.
 */
export async function consumeEmailToken(options: {
  transaction: Transaction;
  token: string;
  purpose: EmailTokenPurpose;
  now: Date;
}): Promise<{ userId: string } | null> {
  const [row] = await options.transaction
    .update(emailTokens)
    .set({ usedAt: options.now })
    .where(usable(options))
    .returning({ userId: emailTokens.userId });
  return row ?? null;
}

/** Ends every unused token of a purpose (a newer link was sent, or the password was just set). */
export async function revokeEmailTokens(options: {
  transaction: Transaction;
  userId: string;
  purpose: EmailTokenPurpose;
  now: Date;
}): Promise<void> {
  await options.transaction
    .update(emailTokens)
    .set({ usedAt: options.now })
    .where(
      and(eq(emailTokens.userId, options.userId), eq(emailTokens.purpose, options.purpose), isNull(emailTokens.usedAt)),
    );
}

function usable(options: { token: string; purpose: EmailTokenPurpose; now: Date }) {
  return and(
    eq(emailTokens.tokenHash, hashEmailToken(options.token)),
    eq(emailTokens.purpose, options.purpose),
    isNull(emailTokens.usedAt),
    gt(emailTokens.expiresAt, options.now),
  );
}
