import { eq } from 'drizzle-orm';
import type { OrganisationView, UpdateOrganisationRequest } from '../../../contracts/organisations.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { organisations } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { organisationView } from './organisation-view.ts';

function isKnownTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Renames the organisation or changes its settings; returns what changed, for the audit event. */
export async function updateOrganisation(options: {
  transaction: Transaction;
  clock: Clock;
  orgId: string;
  changes: UpdateOrganisationRequest;
}): Promise<{ organisation: OrganisationView; changed: string[] }> {
  const { transaction, changes } = options;
  if (changes.timezone !== undefined && !isKnownTimeZone(changes.timezone)) {
    throw new AppError('validation-failed', 'Some fields are invalid; see `errors`.', {
      errors: [{ pointer: '/body/timezone', message: 'is not a time zone this server knows' }],
    });
  }
  const [before] = await transaction
    .select()
    .from(organisations)
    .where(eq(organisations.id, options.orgId))
    .for('update');
  if (!before) throw new AppError('not-found');
  const changed = (Object.keys(changes) as (keyof UpdateOrganisationRequest)[]).filter(
    (key) => changes[key] !== undefined && changes[key] !== before[key],
  );
  if (changed.length === 0) return { organisation: organisationView(before), changed };
  const [after] = await transaction
    .update(organisations)
    .set({ ...changes, updatedAt: options.clock.now() })
    .where(eq(organisations.id, options.orgId))
    .returning();
  return { organisation: organisationView(after ?? before), changed };
}
