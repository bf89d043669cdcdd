import { ConfigError, loadConfig } from '../server/config.ts';
import { BackupError } from '../server/modules/backups/backup-error.ts';
import { SealError } from '../server/platform/crypto/keyring.ts';
import { MasterKeyError } from '../server/platform/crypto/master-key.ts';
import { MigrationError } from '../server/platform/db/migrations.ts';
import { UnsafeDatabaseRoleError } from '../server/platform/db/open-database.ts';
import type { CliCommand, CliIo } from './cli-command.ts';
import { CliUsageError } from './cli-usage-error.ts';
import { adminCreateCommand } from './commands/admin-create.ts';
import { auditVerifyCommand } from './commands/audit-verify.ts';
import { backupCommand, backupVerifyCommand } from './commands/backup.ts';
import { demoSeedCommand } from './commands/demo-seed.ts';
import { devCertCommand } from './commands/dev-cert.ts';
import { keysRotateCommand } from './commands/keys.ts';
import { keysRotateJwtCommand } from './commands/keys-rotate-jwt.ts';
import { migrateCommand } from './commands/migrate.ts';
import { restoreCommand } from './commands/restore.ts';
import { serveCommand } from './commands/serve.ts';
import { workerCommand } from './commands/worker.ts';

const commands: CliCommand[] = [
  serveCommand,
  workerCommand,
  migrateCommand,
  demoSeedCommand,
  keysRotateCommand,
  keysRotateJwtCommand,
  auditVerifyCommand,
  backupCommand,
  backupVerifyCommand,
  restoreCommand,
  devCertCommand,
  adminCreateCommand,
];

function usage(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: vigil <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `vigil <command> --help` for the options of one command.',
    'Configuration comes from environment variables: see docs/configuration.md.',
  ].join('\n');
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(`${usage()}\n`);
    return argv.length === 0 ? 1 : 0;
  }
  // Longest match first: `demo seed` is two words.
  const command = commands
    .filter((candidate) => candidate.name.split(' ').every((word, index) => argv[index] === word))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!command) {
    io.stderr.write(`vigil: unknown command "${argv.join(' ')}"\n\n${usage()}\n`);
    return 2;
  }
  const rest = argv.slice(command.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    const config = loadConfig(io.environment);
    return await command.run({ config, args: rest, io });
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof UnsafeDatabaseRoleError ||
      error instanceof MigrationError ||
      error instanceof MasterKeyError ||
      error instanceof SealError
    ) {
      io.stderr.write(`vigil ${command.name}: ${error.message}\n`);
      return 78; // EX_CONFIG
    }
    if (error instanceof BackupError) {
      // The message is the whole story (what failed, what to do); a stack trace would bury it.
      io.stderr.write(`vigil ${command.name}: ${error.message}\n`);
      return 1;
    }
    if (
      error instanceof CliUsageError ||
      (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr.write(`vigil ${command.name}: ${error.message}\n\n${command.help}\n`);
      return 2;
    }
    io.stderr.write(
      `vigil ${command.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
