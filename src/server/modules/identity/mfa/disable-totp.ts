import { eq } from 'drizzle-orm';
import { AppError } from '../../../platform/errors/app-error.ts';
import { mfaTotp } from './mfa-tables.ts';
import type { PlatformRun } from './platform-run.ts';

/**
 * Turns TOTP off: deletes the secret and (by cascade) the recovery codes. The caller must have
 * demanded a step-up, and ends the user's other sessions afterwards.
 */
export async function disableTotp(options: { userId: string; run: PlatformRun }): Promise<void> {
  await options.run(async (transaction) => {
    const deleted = await transaction
      .delete(mfaTotp)
      .where(eq(mfaTotp.userId, options.userId))
      .returning({ confirmedAt: mfaTotp.confirmedAt });
    if (!deleted[0]?.confirmedAt) {
      // Nothing was on (a pending enrolment alone is left as it was: this rolls back).
      throw new AppError('conflict', 'Multi-factor authentication is not turned on for this account.');
    }
  });
}
