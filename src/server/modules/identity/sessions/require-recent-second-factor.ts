import { eq } from 'drizzle-orm';
import { AppError } from '../../../platform/errors/app-error.ts';
import type { SessionDependencies } from './session-dependencies.ts';
import { STEP_UP_WINDOW_MS } from './session-lifetimes.ts';
import { sessions } from './session-tables.ts';

/**
 * Step-up: throws AppError('step-up-required') unless the caller's session passed a second factor
 * within the last 10 minutes. Reads the session row rather than trusting the token's `otp_at`, so
 * the answer is current even for a token issued before the code was entered.
 */
export async function requireRecentSecondFactor(
  dependencies: Pick<SessionDependencies, 'database' | 'clock'>,
  options: { sessionId: string | null },
): Promise<void> {
  const refuse = () => new AppError('step-up-required', 'Enter a code from your authenticator app to continue.');
  if (!options.sessionId) throw refuse();
  const [row] = await dependencies.database.orm
    .select({ secondFactorAt: sessions.secondFactorAt })
    .from(sessions)
    .where(eq(sessions.id, options.sessionId));
  const at = row?.secondFactorAt;
  if (!at || dependencies.clock.now().getTime() - at.getTime() > STEP_UP_WINDOW_MS) throw refuse();
}
