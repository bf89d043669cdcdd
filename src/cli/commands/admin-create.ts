import { parseArgs } from 'node:util';
import { emailSchema } from '../../contracts/identity.ts';
import { createPlatformAdmin } from '../../server/modules/admin/create-platform-admin.ts';
import { createPasswordHasher } from '../../server/modules/identity/accounts/password-hasher.ts';
import { systemClock } from '../../server/platform/clock.ts';
import { openDatabase } from '../../server/platform/db/open-database.ts';
import type { CliCommand } from '../cli-command.ts';
import { CliUsageError } from '../cli-usage-error.ts';

export const adminCreateCommand: CliCommand = {
  name: 'admin create',
  summary: 'Create the first platform admin (or promote an existing account)',
  help: [
    'Usage: vigil admin create --email ADDRESS',
    '',
    'Creates a platform admin with a verified email and prints a one-time password (shown once:',
    'change it after signing in), or promotes the existing account with that email (its sessions',
    'end). Platform admins must enrol TOTP MFA at their first sign-in before they can do anything',
    'else. Audited on the platform chain.',
  ].join('\n'),
  async run({ config, args, io }) {
    const { values } = parseArgs({ args, options: { email: { type: 'string' } }, strict: true });
    const parsed = emailSchema.safeParse(values.email ?? '');
    if (!parsed.success) throw new CliUsageError('--email must be an email address');
    const { database } = await openDatabase(config.database, { migrate: true });
    try {
      const result = await createPlatformAdmin({
        database,
        clock: systemClock,
        hasher: createPasswordHasher({ cost: config.bcryptCost }),
        email: parsed.data,
      });
      if (result.kind === 'unchanged') {
        io.stdout.write(`${parsed.data} is already a platform admin (${result.userId}); nothing changed.\n`);
      } else if (result.kind === 'promoted') {
        io.stdout.write(
          `${parsed.data} is now a platform admin (${result.userId}). Their sessions ended; at the next sign-in they enrol MFA first.\n`,
        );
      } else {
        io.stdout.write(
          [
            `Platform admin created: ${parsed.data} (${result.userId})`,
            `One-time password: ${result.password}`,
            'Sign in, enrol MFA when asked, then change this password on the Security page.',
            '',
          ].join('\n'),
        );
      }
      return 0;
    } finally {
      await database.close();
    }
  },
};
