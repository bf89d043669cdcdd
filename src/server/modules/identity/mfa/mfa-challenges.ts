import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, lte } from 'drizzle-orm';
import type { Transaction } from '../../../platform/db/database.ts';
import { newId } from '../../../platform/db/ids.ts';
import { type MfaChallengeRow, mfaChallenges } from './mfa-tables.ts';

/** Long enough to open an authenticator app and type a code; short enough to be useless stolen. */
export const VERIFY_CHALLENGE_MS = 5 * 60 * 1000;
/** A first enrolment includes installing an app and scanning a QR code. */
export const ENROL_CHALLENGE_MS = 15 * 60 * 1000;

export type ChallengePurpose = MfaChallengeRow['purpose'];
export type FirstFactor = MfaChallengeRow['firstFactor'];

/** Only the SHA-256 is stored: a 256-bit random token needs no salt or slow hash. */
function challengeTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Records the second step of a sign-in and returns its bearer token (shown once). Old expired
 * challenges of the same user are swept on the way.
 */
export async function createMfaChallenge(
  transaction: Transaction,
  options: {
    userId: string;
    purpose: ChallengePurpose;
    firstFactor: FirstFactor;
    ip: string | null;
    userAgent: string | null;
    now: Date;
  },
): Promise<{ challengeToken: string; expiresAt: Date }> {
  const { userId, now } = options;
  const challengeToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + (options.purpose === 'enrol' ? ENROL_CHALLENGE_MS : VERIFY_CHALLENGE_MS));
  await transaction
    .delete(mfaChallenges)
    .where(and(eq(mfaChallenges.userId, userId), lte(mfaChallenges.expiresAt, now)));
  await transaction.insert(mfaChallenges).values({
    id: newId(),
    tokenHash: challengeTokenHash(challengeToken),
    userId,
    purpose: options.purpose,
    firstFactor: options.firstFactor,
    createdAt: now,
    expiresAt,
    ip: options.ip,
    userAgent: options.userAgent?.slice(0, 512) ?? null,
  });
  return { challengeToken, expiresAt };
}

/** The unused, unexpired challenge a token names, or null. Does not consume it. */
export async function findMfaChallenge(
  transaction: Transaction,
  options: { challengeToken: string; now: Date },
): Promise<MfaChallengeRow | null> {
  const [row] = await transaction
    .select()
    .from(mfaChallenges)
    .where(
      and(
        eq(mfaChallenges.tokenHash, challengeTokenHash(options.challengeToken)),
        isNull(mfaChallenges.usedAt),
        gt(mfaChallenges.expiresAt, options.now),
      ),
    );
  return row ?? null;
}

/**
 * Marks a challenge used, atomically: of two concurrent completions (say a TOTP code and a
 * recovery code), exactly one gets `true` and starts a session.
 */
export async function consumeMfaChallenge(
  transaction: Transaction,
  options: { challengeId: string; now: Date },
): Promise<boolean> {
  const consumed = await transaction
    .update(mfaChallenges)
    .set({ usedAt: options.now })
    .where(
      and(
        eq(mfaChallenges.id, options.challengeId),
        isNull(mfaChallenges.usedAt),
        gt(mfaChallenges.expiresAt, options.now),
      ),
    )
    .returning({ id: mfaChallenges.id });
  return consumed.length === 1;
}
