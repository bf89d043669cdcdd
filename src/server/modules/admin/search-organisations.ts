import { and, desc, ilike, lt, or } from 'drizzle-orm';
import type { AdminOrganisationView } from '../../../contracts/organisations.ts';
import type { Transaction } from '../../platform/db/database.ts';
import { organisations } from '../../platform/db/schema.ts';
import { organisationView } from '../organisations/organisation-view.ts';

/** `%`, `_` and `\` typed into a search box are literal characters, not patterns. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/**
 * Organisations for the platform console, newest first (ids are time-ordered UUIDv7), filtered
 * by name or slug. Platform metadata only: no tenant table is read (the support access grant is
 * mirrored on the organisation row).
 */
export async function searchOrganisations(
  transaction: Transaction,
  options: { q?: string | undefined; limit: number; cursor?: string | undefined; now: Date },
): Promise<{ items: AdminOrganisationView[]; nextCursor: string | null }> {
  const text = options.q?.trim();
  const rows = await transaction
    .select()
    .from(organisations)
    .where(
      and(
        text
          ? or(ilike(organisations.name, likePattern(text)), ilike(organisations.slug, likePattern(text)))
          : undefined,
        options.cursor ? lt(organisations.id, options.cursor) : undefined,
      ),
    )
    .orderBy(desc(organisations.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  return {
    items: page.map((row) => ({
      ...organisationView(row),
      suspendedAt: row.suspendedAt?.toISOString() ?? null,
      // The mirror of the open grant; a lapsed one is no longer access, whether or not a request
      // has recorded its expiry yet.
      supportAccess:
        row.supportAccessGrantId && row.supportAccessExpiresAt && row.supportAccessExpiresAt > options.now
          ? { grantId: row.supportAccessGrantId, expiresAt: row.supportAccessExpiresAt.toISOString() }
          : null,
    })),
    nextCursor: rows.length > options.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
