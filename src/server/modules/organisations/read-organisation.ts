import { eq } from 'drizzle-orm';
import type { OrganisationView } from '../../../contracts/organisations.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { organisations } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { organisationView } from './organisation-view.ts';

export async function readOrganisation(transaction: Transaction, orgId: string): Promise<OrganisationView> {
  const [row] = await transaction.select().from(organisations).where(eq(organisations.id, orgId));
  if (!row) throw new AppError('not-found');
  return organisationView(row);
}
