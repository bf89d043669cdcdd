import type { OrganisationView } from '../../../contracts/organisations.ts';
import type { Organisation } from '../../platform/db/schema.ts';

export function organisationView(row: Organisation): OrganisationView {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    timezone: row.timezone,
    riskAlertThreshold: row.riskAlertThreshold,
    isDemo: row.isDemo,
    suspended: row.suspendedAt !== null,
    createdAt: row.createdAt.toISOString(),
    memberCount: row.memberCount,
  };
}
