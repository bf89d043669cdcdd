import { rotateJwtSigningKey } from '../../server/modules/identity/sessions/rotate-jwt-signing-key.ts';
import { systemClock } from '../../server/platform/clock.ts';
import { createKeyring } from '../../server/platform/crypto/keyring.ts';
import { resolveMasterKey } from '../../server/platform/crypto/resolve-master-key.ts';
import { openDatabase } from '../../server/platform/db/open-database.ts';
import type { CliCommand } from '../cli-command.ts';

export const keysRotateJwtCommand: CliCommand = {
  name: 'keys rotate-jwt',
  summary: 'Make a new access-token signing key active (old keys keep verifying until their tokens expire)',
  help: [
    'Usage: vigil keys rotate-jwt',
    '',
    'Generates a new Ed25519 signing key (private key sealed at rest) and makes it the one that signs',
    'access tokens. The previous key stays in /.well-known/jwks.json and keeps verifying the tokens it',
    'signed until they expire (10 minutes); keys retired before that are deleted. Servers pick the new',
    'key up within a minute. Keys also rotate automatically every 30 days.',
  ].join('\n'),
  async run({ config, io }) {
    const { database } = await openDatabase(config.database, { migrate: false });
    try {
      const masterKey = resolveMasterKey(config, {
        warn: (_details, message) => void io.stderr.write(`warning: ${message}\n`),
      });
      const keyring = createKeyring({ database, masterKey });
      const rotation = await rotateJwtSigningKey({
        database,
        keyring,
        clock: systemClock,
        requestId: 'cli-keys-rotate-jwt',
      });
      io.stdout.write(
        `Signing key ${rotation.activeKid} is active${rotation.rotated ? '' : ' (no rotation was needed)'}; ` +
          `${rotation.deletedKids.length} expired key(s) deleted.\n`,
      );
      return 0;
    } finally {
      await database.close();
    }
  },
};
