import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../../server/config.ts';
import type { BackupManifest, BackupSeal } from '../../server/modules/backups/backup-format.ts';
import { backupFileName, type BackupSource, createBackup } from '../../server/modules/backups/create-backup.ts';
import type { RestoreReport } from '../../server/modules/backups/restore-backup.ts';
import { verifyBackup } from '../../server/modules/backups/verify-backup.ts';
import { systemClock } from '../../server/platform/clock.ts';
import { resolveMasterKey } from '../../server/platform/crypto/resolve-master-key.ts';
import type { CliCommand, CliIo } from '../cli-command.ts';
import { CliUsageError } from '../cli-usage-error.ts';

export function backupMasterKey(config: Config, io: CliIo): Buffer {
  return resolveMasterKey(config, {
    warn: (_details: unknown, message?: unknown) => void io.stderr.write(`warning: ${String(message)}\n`),
  });
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * A progress line on stderr, redrawn at most a few times a second, and only on a terminal: piped
 * into a log it would be noise.
 */
export function progressReporter(io: CliIo, label: string): { update(bytes: number): void; done(): void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let lastDrawn = 0;
  let drawn = false;
  return {
    update(bytes) {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDrawn < 200) return;
      lastDrawn = now;
      drawn = true;
      io.stderr.write(`\r${label}: ${formatBytes(bytes)}   `);
    },
    done() {
      if (drawn) io.stderr.write('\n');
      drawn = false;
    },
  };
}

export function formatManifestSummary(manifest: BackupManifest, seal: BackupSeal): string {
  const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
  const events = manifest.auditChains.reduce((sum, chain) => sum + chain.events, 0);
  const largest = [...manifest.tables]
    .sort((a, b) => b.rows - a.rows)
    .slice(0, 4)
    .map((table) => `${table.name} ${table.rows}`)
    .join(', ');
  return [
    `  backup id    ${manifest.backupId}`,
    `  created      ${manifest.createdAt} by Vigil ${manifest.vigilVersion}`,
    `  database     ${manifest.database.kind} ${manifest.database.serverVersion}, schema at ${manifest.schemaVersion.migrations.at(-1) ?? '(no migrations)'} (${manifest.schemaVersion.migrations.length} migrations)`,
    `  tables       ${manifest.tables.length} tables, ${rows} rows${largest ? ` (${largest}${manifest.tables.length > 4 ? ', …' : ''})` : ''}`,
    `  audit        ${manifest.auditChains.length} chain(s), ${events} event(s)`,
    `  payload      ${formatBytes(seal.payloadBytes)} (${formatBytes(seal.compressedBytes)} compressed), SHA-256 ${seal.payloadSha256}`,
    `  encryption   AES-256-GCM, ${seal.chunks} chunk(s); file key wrapped by master key ${manifest.encryption.kekFingerprint}`,
  ].join('\n');
}

export function formatVerification(report: RestoreReport): string {
  const { verification } = report;
  const rows = verification.statistics.tables.reduce((sum, table) => sum + table.rows, 0);
  const chains = verification.chains.length;
  return [
    `  tables       ${verification.statistics.tables.length} tables, ${rows} rows: row counts match the manifest`,
    `  audit        ${report.manifest.auditChains.length} chain head(s) match; ${chains} chain(s) recomputed, all links verify`,
    `  schema       ${verification.statistics.migrations.length} migrations, as in the backup`,
  ].join('\n');
}

export const backupCommand: CliCommand = {
  name: 'backup',
  summary: 'Write an encrypted backup of the database (`vigil backup verify FILE` proves one restores)',
  help: [
    'Usage: vigil backup [--out FILE]',
    '       vigil backup verify FILE',
    '',
    'Writes a consistent snapshot of the whole database, gzip-compressed and encrypted under a fresh',
    'file key wrapped by the master key, with a manifest of row counts and audit chain heads. Default',
    'output: VIGIL_BACKUP_DIR (default <VIGIL_DATA_DIR>/backups)/vigil-<timestamp>.vbk.',
    '',
    'PostgreSQL: pg_dump through DATABASE_MIGRATION_URL, whose role needs BYPASSRLS; the server may',
    'keep running. Embedded database: stop the server first (one process per data directory).',
    '',
    'Options:',
    '  --out FILE   where to write the backup (must not exist)',
    '',
    'Restore with `vigil restore FILE`. Keep the master key: without it a backup cannot be read.',
  ].join('\n'),
  async run({ config, args, io }) {
    const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true, allowPositionals: false });
    const masterKey = backupMasterKey(config, io);
    const now = systemClock.now();
    const file = values.out ? path.resolve(values.out) : path.join(config.backup.dir, backupFileName(now));
    let source: BackupSource;
    if (config.database.kind === 'postgres') source = { kind: 'postgres', url: config.database.migrationUrl };
    else if (config.database.dataDir) source = { kind: 'pglite', dataDir: config.database.dataDir };
    else throw new CliUsageError('the in-memory embedded database cannot be backed up');
    const progress = progressReporter(io, 'backing up');
    const written = await createBackup({
      source,
      masterKey,
      file,
      vigilVersion: config.version,
      clock: systemClock,
      onProgress: progress.update,
    });
    progress.done();
    io.stdout.write(
      `Backup written: ${written.file} (${formatBytes(written.fileBytes)})\n${formatManifestSummary(written.manifest, written.seal)}\n`,
    );
    return 0;
  },
};

export const backupVerifyCommand: CliCommand = {
  name: 'backup verify',
  summary: 'Restore drill: restore a backup into a scratch database, check it against its manifest, drop it',
  help: [
    'Usage: vigil backup verify FILE',
    '',
    'Decrypts FILE (authenticating every chunk and the payload checksum), restores it into a scratch',
    'database — a new PostgreSQL database created with the owner role of DATABASE_MIGRATION_URL (needs',
    'CREATEDB), or a temporary embedded data directory — compares every table row count and audit',
    'chain head with the manifest, recomputes every audit chain, and removes the scratch database.',
    'The live database is never touched. Exit 0 only if everything matches.',
  ].join('\n'),
  async run({ config, args, io }) {
    const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true });
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) throw new CliUsageError('give exactly one backup FILE');
    const masterKey = backupMasterKey(config, io);
    const progress = progressReporter(io, 'decrypting');
    const report = await verifyBackup({
      file: path.resolve(file),
      masterKey,
      postgresOwnerUrl: config.database.kind === 'postgres' ? config.database.migrationUrl : null,
      now: systemClock.now(),
      onProgress: progress.update,
      onStep: (step) => {
        progress.done();
        io.stderr.write(`  ${step}\n`);
      },
    });
    progress.done();
    io.stdout.write(
      `Restore drill passed for ${file}\n${formatManifestSummary(report.manifest, report.seal)}\n${formatVerification(report)}\n`,
    );
    return 0;
  },
};
