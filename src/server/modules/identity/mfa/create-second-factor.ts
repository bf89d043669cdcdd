import { eq } from 'drizzle-orm';
import type { Clock } from '../../../platform/clock.ts';
import type { Database } from '../../../platform/db/database.ts';
import { users } from '../../../platform/db/schema.ts';
import { withPlatformTransaction } from '../../../platform/db/tenant-transaction.ts';
import type { SecondFactor } from '../identity-types.ts';
import { createMfaChallenge, type FirstFactor } from './mfa-challenges.ts';
import { mfaTotp } from './mfa-tables.ts';

export type SecondFactorChallengeInput = Parameters<SecondFactor['createChallenge']>[0] & {
  /** The factor the user just passed, for the session's amr (`['sso','otp']`); default 'pwd'. */
  firstFactor?: FirstFactor;
};

/** SecondFactor with the optional `firstFactor` the SSO path passes (assignable to SecondFactor). */
export type MfaSecondFactor = {
  required: SecondFactor['required'];
  createChallenge(input: SecondFactorChallengeInput): ReturnType<SecondFactor['createChallenge']>;
};

const REQUEST_ID = 'identity.mfa';

/**
 * The accounts module's view of MFA. `required`: a confirmed TOTP, or a platform admin (who must
 * use MFA on every sign-in path, enrolled or not). `createChallenge` issues the sign-in's second
 * step; its purpose is fixed now: 'verify' for an enrolled user, 'enrol' for a platform admin
 * without TOTP, whose challenge can then only reach the enrolment routes.
 */
export function createSecondFactor(deps: { database: Database; clock: Clock }): MfaSecondFactor {
  const { database, clock } = deps;

  const required: SecondFactor['required'] = (userId) =>
    withPlatformTransaction(database, { userId, requestId: REQUEST_ID }, async (transaction) => {
      const [user] = await transaction
        .select({ platformAdmin: users.platformAdmin })
        .from(users)
        .where(eq(users.id, userId));
      const [totp] = await transaction
        .select({ confirmedAt: mfaTotp.confirmedAt })
        .from(mfaTotp)
        .where(eq(mfaTotp.userId, userId));
      const enrolled = Boolean(totp?.confirmedAt);
      return { required: enrolled || (user?.platformAdmin ?? false), enrolled };
    });

  return {
    required,
    async createChallenge(input) {
      const status = await required(input.userId);
      if (!status.required) {
        // A programming error in the caller, not a client mistake: no challenge for nothing.
        throw new Error('createChallenge called for a user who needs no second factor');
      }
      return withPlatformTransaction(database, { userId: input.userId, requestId: REQUEST_ID }, (transaction) =>
        createMfaChallenge(transaction, {
          userId: input.userId,
          purpose: status.enrolled ? 'verify' : 'enrol',
          firstFactor: input.firstFactor ?? 'pwd',
          ip: input.ip,
          userAgent: input.userAgent,
          now: clock.now(),
        }),
      );
    },
  };
}
