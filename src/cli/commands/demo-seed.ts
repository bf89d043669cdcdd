import { seedDemoOrganisation } from '../../server/modules/organisations/seed-demo-organisation.ts';
import { systemClock } from '../../server/platform/clock.ts';
import { openDatabase } from '../../server/platform/db/open-database.ts';
import type { CliCommand } from '../cli-command.ts';

export const demoSeedCommand: CliCommand = {
  name: 'demo seed',
  summary: 'Create the demo organisation with sample deals (once; repeat runs do nothing)',
  help: [
    'Usage: vigil demo seed',
    '',
    'Migrates, then creates the "Acme (demo)" organisation with a few sample deals unless it',
    'exists already. `npm start` does this automatically outside production.',
  ].join('\n'),
  async run({ config, io }) {
    const { database } = await openDatabase(config.database, { migrate: true });
    try {
      const result = await seedDemoOrganisation({ database, clock: systemClock });
      io.stdout.write(
        result.created
          ? `Demo organisation created (${result.orgId}).\n`
          : `Demo organisation already exists (${result.orgId}); nothing to do.\n`,
      );
      return 0;
    } finally {
      await database.close();
    }
  },
};
