import type { Config } from '../../config.ts';
import { loadOrCreateDevelopmentMasterKey } from './master-key.ts';

/**
 * The master key for this process: the configured one, or in development a key generated once
 * into the data directory (with a loud warning, since whoever can read that directory can read
 * every secret).
 */
export function resolveMasterKey(config: Config, log: { warn(details: object, message: string): void }): Buffer {
  if (config.masterKey) return config.masterKey;
  if (config.profile === 'production') throw new Error('production requires VIGIL_MASTER_KEY');
  const generated = loadOrCreateDevelopmentMasterKey(config.dataDir);
  if (generated.created) {
    log.warn(
      { file: generated.file },
      'DEVELOPMENT MASTER KEY GENERATED: secrets are encrypted with a key stored next to the data. ' +
        'Set VIGIL_MASTER_KEY (or VIGIL_MASTER_KEY_FILE) from a secret store for any real use; production refuses this key.',
    );
  }
  return generated.key;
}
