import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DecryptionError, decryptAesGcm, encryptAesGcm, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from './aes-gcm.ts';

/**
 * The master key (KEK) only ever wraps other keys: data keys in `data_keys`, and each backup's
 * file key. It is never used on data directly, so rotating it means re-wrapping a handful of
 * keys, not re-encrypting the database.
 */

/** Marks a key file generated for development, so production can refuse it. */
export const DEVELOPMENT_KEY_FILE_MARKER = '# vigil development master key';
export const DEVELOPMENT_KEY_FILE_NAME = 'master.key';

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/** A short public identifier of a master key: which KEK wrapped a data key, without revealing it. */
export function masterKeyFingerprint(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update('vigil:kek-fingerprint:v1').digest('hex').slice(0, 16);
}

/** Wraps key material under the master key: base64url(nonce ‖ tag ‖ ciphertext). */
export function wrapKey(masterKey: Buffer, key: Buffer, aad: string): string {
  const { nonce, ciphertext, tag } = encryptAesGcm(masterKey, key, Buffer.from(aad));
  return Buffer.concat([nonce, tag, ciphertext]).toString('base64url');
}

export function unwrapKey(masterKey: Buffer, wrapped: string, aad: string): Buffer {
  const bytes = Buffer.from(wrapped, 'base64url');
  if (bytes.length !== NONCE_BYTES + TAG_BYTES + KEY_BYTES)
    throw new MasterKeyError('wrapped key has the wrong length');
  try {
    return decryptAesGcm(
      masterKey,
      bytes.subarray(0, NONCE_BYTES),
      bytes.subarray(NONCE_BYTES + TAG_BYTES),
      bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES),
      Buffer.from(aad),
    );
  } catch (error) {
    if (error instanceof DecryptionError)
      throw new MasterKeyError('the master key does not unwrap this key (wrong VIGIL_MASTER_KEY?)');
    throw error;
  }
}

/** Reads a base64 key file, ignoring comment lines. */
export function readMasterKeyFile(file: string): { key: Buffer; development: boolean } {
  const text = readFileSync(file, 'utf8');
  const key = Buffer.from(
    text
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('')
      .trim(),
    'base64',
  );
  if (key.length !== KEY_BYTES) throw new MasterKeyError(`${file} must hold ${KEY_BYTES} bytes, base64-encoded`);
  return { key, development: text.startsWith(DEVELOPMENT_KEY_FILE_MARKER) };
}

/**
 * Development convenience: the first start generates a random master key into the data
 * directory (mode 0600) so secrets are really encrypted locally too. Returns whether it was
 * created now, so the caller can say so loudly.
 */
export function loadOrCreateDevelopmentMasterKey(dataDir: string): { key: Buffer; file: string; created: boolean } {
  const file = path.join(dataDir, DEVELOPMENT_KEY_FILE_NAME);
  if (existsSync(file)) return { key: readMasterKeyFile(file).key, file, created: false };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(KEY_BYTES);
  writeFileSync(
    file,
    `${DEVELOPMENT_KEY_FILE_MARKER} — generated ${new Date().toISOString()}; never use in production\n${key.toString('base64')}\n`,
    { mode: 0o600, flag: 'wx' },
  );
  chmodSync(file, 0o600);
  return { key, file, created: true };
}
