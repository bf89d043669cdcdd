import { and, count, eq, isNull } from 'drizzle-orm';
import type { MfaStatus } from '../../../../contracts/mfa.ts';
import { users } from '../../../platform/db/schema.ts';
import { mfaTotp, recoveryCodes } from './mfa-tables.ts';
import type { PlatformRun } from './platform-run.ts';

/** The MFA section of the account security page. Never includes secrets or recovery codes. */
export async function readMfaStatus(options: { userId: string; run: PlatformRun }): Promise<MfaStatus> {
  const { userId } = options;
  return options.run(async (transaction) => {
    const [totp] = await transaction
      .select({ confirmedAt: mfaTotp.confirmedAt })
      .from(mfaTotp)
      .where(eq(mfaTotp.userId, userId));
    const [user] = await transaction
      .select({ platformAdmin: users.platformAdmin })
      .from(users)
      .where(eq(users.id, userId));
    const [left] = await transaction
      .select({ value: count() })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
    return {
      totp: !totp ? 'off' : totp.confirmedAt ? 'on' : 'pending',
      confirmedAt: totp?.confirmedAt?.toISOString() ?? null,
      recoveryCodesRemaining: totp?.confirmedAt ? (left?.value ?? 0) : 0,
      required: user?.platformAdmin ?? false,
    };
  });
}
