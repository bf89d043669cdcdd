import path from 'node:path';
import { parseArgs } from 'node:util';
import { type RestoreTarget, restoreBackup } from '../../server/modules/backups/restore-backup.ts';
import { systemClock } from '../../server/platform/clock.ts';
import type { CliCommand } from '../cli-command.ts';
import { CliUsageError } from '../cli-usage-error.ts';
import { backupMasterKey, formatManifestSummary, formatVerification, progressReporter } from './backup.ts';

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'Restore an encrypted backup into an empty database (or replace one with --force)',
  help: [
    'Usage: vigil restore FILE [--into DATABASE_URL | --data-dir DIR] [--force] [--temp-dir DIR]',
    '',
    'Decrypts FILE into a private temporary file first, authenticating every chunk and checking the',
    'payload checksum: a tampered, truncated or wrong-key backup stops here, before the target is',
    'touched. Then restores and checks row counts and audit chain heads against the manifest, and',
    'recomputes every audit chain.',
    '',
    'Target: --into an owner URL of an existing PostgreSQL database (role with BYPASSRLS), or',
    '--data-dir for the embedded database; by default the configured database (DATABASE_MIGRATION_URL',
    'or <VIGIL_DATA_DIR>/pglite). Stop servers on the target first.',
    '',
    'Options:',
    '  --force          replace a non-empty target. PostgreSQL: its schemas are dropped and restored in',
    '                   the same transaction. Embedded: the old data directory is moved aside.',
    '  --temp-dir DIR   where the decrypted payload is staged (default: the system temp directory);',
    '                   needs room for the uncompressed dump',
    '',
    'PostgreSQL restores run in one transaction: on any error the target is left as it was.',
  ].join('\n'),
  async run({ config, args, io }) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        into: { type: 'string' },
        'data-dir': { type: 'string' },
        force: { type: 'boolean', default: false },
        'temp-dir': { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) throw new CliUsageError('give exactly one backup FILE');
    if (values.into && values['data-dir']) throw new CliUsageError('give --into or --data-dir, not both');
    if (values.into && !/^postgres(ql)?:\/\//.test(values.into)) {
      throw new CliUsageError('--into must be a postgres:// URL');
    }
    let target: RestoreTarget;
    if (values.into) target = { kind: 'postgres', url: values.into };
    else if (values['data-dir']) target = { kind: 'pglite', dataDir: path.resolve(values['data-dir']) };
    else if (config.database.kind === 'postgres') target = { kind: 'postgres', url: config.database.migrationUrl };
    else if (config.database.dataDir) target = { kind: 'pglite', dataDir: config.database.dataDir };
    else throw new CliUsageError('give --into or --data-dir');

    const masterKey = backupMasterKey(config, io);
    const progress = progressReporter(io, 'decrypting');
    const report = await restoreBackup({
      file: path.resolve(file),
      masterKey,
      target,
      force: values.force,
      now: systemClock.now(),
      temporaryDirectory: values['temp-dir'] ? path.resolve(values['temp-dir']) : undefined,
      onProgress: progress.update,
      onStep: (step) => {
        progress.done();
        io.stderr.write(`  ${step}\n`);
      },
    });
    progress.done();
    io.stdout.write(
      `Restored ${file}\n${formatManifestSummary(report.manifest, report.seal)}\n${formatVerification(report)}\n` +
        (report.replacedDataDir
          ? `The previous data directory was moved to ${report.replacedDataDir}; delete it once you are satisfied.\n`
          : ''),
    );
    return 0;
  },
};
