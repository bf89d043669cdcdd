import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Mailer } from '../identity/mail/create-mailer.ts';

/**
 * Called after a change to who may use an organisation (role change, removal, suspension,
 * deletion) has committed, so cached authentication state is dropped at once. The identity
 * module's session cache plugs in here.
 */
export type AccessChanged = (change: { userId?: string; orgId?: string }) => void;

/**
 * Called before an organisation's rows go: the integrations module revokes the tokens its
 * connected providers granted. A no-op until integrations exist.
 */
export type RevokeOrganisationGrants = (options: { orgId: string }) => Promise<void>;

export type OrganisationContext = {
  database: Database;
  clock: Clock;
  mailer: Pick<Mailer, 'sendMail'>;
  /** Base URL for links in mail (VIGIL_PUBLIC_URL, or localhost in development). */
  publicUrl: string;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Demands a recent second factor from callers with MFA (step-up); the identity module's. */
  requireStepUp(caller: { userId: string; sessionId: string | null }): Promise<void>;
  accessChanged: AccessChanged;
  revokeOrganisationGrants: RevokeOrganisationGrants;
};

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
