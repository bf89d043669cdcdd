import { and, eq, isNotNull } from 'drizzle-orm';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import { AppError } from '../../../platform/errors/app-error.ts';
import { mfaTotp } from './mfa-tables.ts';
import type { PlatformRun } from './platform-run.ts';
import { newRecoveryCodeSet, replaceRecoveryCodes } from './replace-recovery-codes.ts';

/**
 * Replaces every recovery code (used or not) with ten new ones, returned this once. The caller
 * must have demanded a step-up: whoever can regenerate codes can get into the account.
 */
export async function regenerateRecoveryCodes(options: {
  keyring: Keyring;
  clock: Clock;
  userId: string;
  run: PlatformRun;
}): Promise<{ recoveryCodes: string[] }> {
  const { userId } = options;
  const set = await newRecoveryCodeSet({ keyring: options.keyring, userId });
  const now = options.clock.now();
  await options.run(async (transaction) => {
    const updated = await transaction
      .update(mfaTotp)
      .set({ recoveryCodeKeySealed: set.keySealed })
      .where(and(eq(mfaTotp.userId, userId), isNotNull(mfaTotp.confirmedAt)))
      .returning({ userId: mfaTotp.userId });
    if (updated.length === 0) {
      throw new AppError('conflict', 'Multi-factor authentication is not turned on for this account.');
    }
    await replaceRecoveryCodes(transaction, { userId, set, now });
  });
  return { recoveryCodes: set.codes };
}
