import { parseArgs } from 'node:util';
import { SYSTEM_ACTOR, appendAuditEvent } from '../../server/modules/audit/append-audit-event.ts';
import { masterKeyFingerprint, readMasterKeyFile } from '../../server/platform/crypto/master-key.ts';
import { resolveMasterKey } from '../../server/platform/crypto/resolve-master-key.ts';
import { rotateDataKeys, rotateMasterKey } from '../../server/platform/crypto/rotate-data-keys.ts';
import { openOwnerConnection } from '../../server/platform/db/open-database.ts';
import type { CliCommand, CliIo } from '../cli-command.ts';
import { CliUsageError } from '../cli-usage-error.ts';

const stderrLog = (io: CliIo) => ({
  warn: (_object: unknown, message: string) => void io.stderr.write(`warning: ${message}\n`),
});

export const keysRotateCommand: CliCommand = {
  name: 'keys rotate',
  summary: 'Rotate the data key (re-encrypt every secret) or, with --master, re-wrap data keys under a new master key',
  help: [
    'Usage: vigil keys rotate [--batch-size N]',
    '       vigil keys rotate --master --new-key-file FILE',
    '',
    'Without --master: adds a new data-key version, re-encrypts every sealed value in batches while',
    "the service keeps running (old versions still decrypt), waits out the servers' key cache, then",
    'retires the old version and destroys its key material. Resumable: after a crash, run it again.',
    '',
    'With --master: re-wraps every data key under the key in FILE (32 bytes, base64). Idempotent.',
    'Then set VIGIL_MASTER_KEY (or VIGIL_MASTER_KEY_FILE) to the new key and restart.',
    '',
    'Runs as the owner role (DATABASE_MIGRATION_URL). On the embedded database, stop the server first.',
    'Both are recorded on the platform audit chain.',
  ].join('\n'),
  async run({ config, args, io }) {
    const { values } = parseArgs({
      args,
      options: {
        master: { type: 'boolean', default: false },
        'new-key-file': { type: 'string' },
        'batch-size': { type: 'string' },
      },
      strict: true,
    });
    const masterKey = resolveMasterKey(config, stderrLog(io));
    const connection = await openOwnerConnection(config.database);
    try {
      if (values.master) {
        if (!values['new-key-file']) throw new CliUsageError('--master needs --new-key-file FILE');
        const newMasterKey = readMasterKeyFile(values['new-key-file']).key;
        const result = await rotateMasterKey({ connection, oldMasterKey: masterKey, newMasterKey });
        await connection.inTransaction((query) =>
          appendAuditEvent(query, {
            orgId: null,
            actor: SYSTEM_ACTOR,
            action: 'keys.master_rotated',
            outcome: 'success',
            metadata: { ...result, newFingerprint: masterKeyFingerprint(newMasterKey) },
            requestId: null,
            occurredAt: new Date(),
          }),
        );
        io.stdout.write(
          `Re-wrapped ${result.rewrapped} data key(s) under the new master key (${result.alreadyDone} already were).\n` +
            `Now set VIGIL_MASTER_KEY to the new key (fingerprint ${masterKeyFingerprint(newMasterKey)}) and restart.\n`,
        );
        return 0;
      }
      const batchSize = values['batch-size'] ? Number(values['batch-size']) : 500;
      if (!Number.isInteger(batchSize) || batchSize < 1)
        throw new CliUsageError('--batch-size must be a positive integer');
      const result = await rotateDataKeys({
        connection,
        masterKey,
        batchSize,
        // The embedded database has one process, so no server holds a cached key to wait out.
        ...(config.database.kind === 'pglite' ? { retireAfterMs: 0 } : {}),
        onProgress: (progress) => void io.stderr.write(`  ${progress.column}: ${progress.reEncrypted} re-encrypted\n`),
      });
      await connection.inTransaction((query) =>
        appendAuditEvent(query, {
          orgId: null,
          actor: SYSTEM_ACTOR,
          action: 'keys.data_key_rotated',
          outcome: 'success',
          metadata: { ...result },
          requestId: null,
          occurredAt: new Date(),
        }),
      );
      io.stdout.write(
        `${result.resumed ? 'Resumed rotation' : 'Rotated'}: data key v${result.newVersion} is active; ` +
          `${result.reEncrypted} value(s) re-encrypted; retired ${result.retiredVersions.map((version) => `v${version}`).join(', ') || 'none'}.\n`,
      );
      return 0;
    } finally {
      await connection.close();
    }
  },
};
