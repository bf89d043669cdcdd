import type { SqlQuery } from '../../platform/db/query-rows.ts';
import { type ChainReport, verifyAuditChains } from '../audit/verify-audit-chain.ts';
import type { BackupManifest } from './backup-format.ts';
import {
  compareDatabaseStatistics,
  type DatabaseStatistics,
  readDatabaseStatistics,
} from './read-database-statistics.ts';

export type RestoreVerification = {
  statistics: DatabaseStatistics;
  /** Differences from the manifest (row counts, audit heads, migrations); empty when identical. */
  differences: string[];
  /** Every audit chain recomputed from its events (audit module's verifier). */
  chains: ChainReport[];
  ok: boolean;
};

/**
 * Compares a restored database with the manifest of its backup, then recomputes every audit
 * chain: heads matching proves nothing was lost at the end of a chain, recomputing proves no
 * event in the middle was altered.
 */
export async function checkRestoredDatabase(options: {
  query: SqlQuery;
  manifest: BackupManifest;
}): Promise<RestoreVerification> {
  const statistics = await readDatabaseStatistics(options.query);
  const differences = compareDatabaseStatistics(
    {
      migrations: options.manifest.schemaVersion.migrations,
      tables: options.manifest.tables,
      auditChains: options.manifest.auditChains,
    },
    statistics,
  );
  const hasAuditLog = statistics.tables.some((table) => table.schema === 'public' && table.name === 'audit_events');
  const chains = hasAuditLog ? await verifyAuditChains(options.query) : [];
  for (const chain of chains) {
    if (chain.firstBroken) {
      differences.push(
        `audit chain ${chain.orgId ?? '(platform)'} does not verify at seq ${chain.firstBroken.seq}: ${chain.firstBroken.reason}`,
      );
    }
  }
  return { statistics, differences, chains, ok: differences.length === 0 };
}
