import { parseArgs } from 'node:util';
import { verifyAuditChains } from '../../server/modules/audit/verify-audit-chain.ts';
import { openOwnerConnection } from '../../server/platform/db/open-database.ts';
import type { CliCommand } from '../cli-command.ts';
import { CliUsageError } from '../cli-usage-error.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const auditVerifyCommand: CliCommand = {
  name: 'audit verify',
  summary: 'Recompute the audit hash chains and report the first broken link',
  help: [
    'Usage: vigil audit verify [--org ORG_ID | --platform]',
    '',
    "Recomputes every audit chain (or one organisation's, or the platform chain) from the stored",
    'events and reports, per chain, the number of events, its head, and the first broken link if',
    'any (edited, deleted or reordered events). Exit 0 when all verify, 3 when one is broken.',
    'Runs as the owner role (DATABASE_MIGRATION_URL).',
  ].join('\n'),
  async run({ config, args, io }) {
    const { values } = parseArgs({
      args,
      options: { org: { type: 'string' }, platform: { type: 'boolean', default: false } },
      strict: true,
    });
    if (values.org && !UUID.test(values.org)) throw new CliUsageError('--org must be an organisation id (UUID)');
    const connection = await openOwnerConnection(config.database);
    try {
      const reports = await verifyAuditChains(
        connection.query,
        values.platform ? { orgId: null } : values.org ? { orgId: values.org } : {},
      );
      let broken = 0;
      for (const report of reports) {
        const name = report.orgId ? `organisation ${report.orgId}` : 'platform';
        if (report.firstBroken) {
          broken += 1;
          io.stdout.write(
            `BROKEN  ${name}: ${report.events} events; first broken link at seq ${report.firstBroken.seq} (event ${report.firstBroken.id}): ${report.firstBroken.reason}\n`,
          );
        } else {
          io.stdout.write(
            `ok      ${name}: ${report.events} events${report.head ? `, head seq ${report.head.seq} ${report.head.hash.slice(0, 16)}…` : ''}\n`,
          );
        }
      }
      if (reports.length === 0) io.stdout.write('No audit events yet.\n');
      io.stdout.write(broken ? `${broken} chain(s) broken.\n` : 'All audit chains verify.\n');
      return broken ? 3 : 0;
    } finally {
      await connection.close();
    }
  },
};
