import { and, eq, isNull } from 'drizzle-orm';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database, Transaction } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { AuditActor } from '../../audit/append-audit-event.ts';
import { mfaTotp } from './mfa-tables.ts';
import type { PlatformRun } from './platform-run.ts';
import { newRecoveryCodeSet, replaceRecoveryCodes } from './replace-recovery-codes.ts';
import { secondFactorError, verifySecondFactor } from './verify-second-factor.ts';

/**
 * Turns the pending secret on once the user proves their app has it (a valid first code, which
 * also counts as that step's single use), and returns the ten recovery codes — the only time they
 * exist in plaintext. Confirms exactly the secret the code was checked against: a concurrent
 * re-enrolment makes this fail instead of turning on a secret the user's app does not have.
 * Ending the user's other sessions is the caller's job (it owns the session seams).
 */
export async function confirmTotpEnrolment(options: {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  userId: string;
  code: string;
  requestId: string;
  actor: Pick<AuditActor, 'ip' | 'userAgent'>;
  run: PlatformRun;
  /** More work for the same transaction (the challenge-bound variant consumes its challenge). */
  alsoInTransaction?: (transaction: Transaction) => Promise<void>;
}): Promise<{ recoveryCodes: string[] }> {
  const { userId } = options;
  const outcome = await verifySecondFactor({ ...options, proof: { code: options.code }, expect: 'pending' });
  if (!outcome.ok) throw secondFactorError(outcome, 'pending');
  const set = await newRecoveryCodeSet({ keyring: options.keyring, userId });
  const now = options.clock.now();
  await options.run(async (transaction) => {
    await options.alsoInTransaction?.(transaction);
    const confirmed = await transaction
      .update(mfaTotp)
      .set({ confirmedAt: now, recoveryCodeKeySealed: set.keySealed })
      .where(
        and(eq(mfaTotp.userId, userId), isNull(mfaTotp.confirmedAt), eq(mfaTotp.secretSealed, outcome.secretSealed)),
      )
      .returning({ userId: mfaTotp.userId });
    if (confirmed.length === 0) {
      throw new AppError('conflict', 'The enrolment changed while confirming it: start enrolment again.');
    }
    await replaceRecoveryCodes(transaction, { userId, set, now });
  });
  return { recoveryCodes: set.codes };
}
