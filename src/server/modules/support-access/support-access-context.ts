import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';

export type SupportAccessContext = {
  database: Database;
  clock: Clock;
  /** Demands a recent second factor from callers with MFA (step-up); the identity module's. */
  requireStepUp(caller: { userId: string; sessionId: string | null }): Promise<void>;
};

/** Audit target type of a grant, on both chains. */
export const GRANT_TARGET = 'support_access_grant';
