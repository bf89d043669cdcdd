import { applyMigrations, readMigrationFiles } from '../../server/platform/db/migrations.ts';
import { migratePostgres } from '../../server/platform/db/open-database.ts';
import { openPglite } from '../../server/platform/db/open-pglite.ts';
import type { CliCommand } from '../cli-command.ts';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply pending database migrations',
  help: [
    'Usage: vigil migrate',
    '',
    'Applies every pending migration in migrations/ in order, each in its own transaction, as the',
    'owner role (DATABASE_MIGRATION_URL, else DATABASE_URL). Creates the runtime role named in',
    'DATABASE_URL when allowed. Safe to run concurrently and repeatedly.',
  ].join('\n'),
  async run({ config, io }) {
    let applied: string[];
    if (config.database.kind === 'pglite') {
      const embedded = await openPglite({ dataDir: config.database.dataDir });
      try {
        applied = await applyMigrations(embedded.migrationConnection);
      } finally {
        await embedded.database.close();
      }
    } else {
      applied = await migratePostgres(config.database.migrationUrl, config.database.url);
    }
    const total = readMigrationFiles().length;
    io.stdout.write(
      applied.length === 0
        ? `Database is up to date (${total} migrations).\n`
        : `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}\n`,
    );
    return 0;
  },
};
