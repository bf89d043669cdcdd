import type { FileHandle } from 'node:fs/promises';
import { MasterKeyError, masterKeyFingerprint, unwrapKey } from '../../platform/crypto/master-key.ts';
import { BackupError } from './backup-error.ts';
import {
  BACKUP_KEY_AAD,
  BACKUP_MAGIC,
  BACKUP_MAGIC_PREFIX,
  type BackupKeys,
  type BackupManifest,
  backupManifestSchema,
  type BackupSeal,
  backupSealSchema,
  CHUNK_OVERHEAD_BYTES,
  deriveBackupKeys,
  headerLayout,
  MAC_BYTES,
  macMatches,
  MAX_MANIFEST_BYTES,
  manifestMac,
  SEAL_BYTES,
  sealMac,
  sha256,
} from './backup-format.ts';

export type BackupHeader = {
  manifest: BackupManifest;
  seal: BackupSeal;
  manifestHash: Buffer;
  keys: BackupKeys;
  bodyOffset: number;
  fileBytes: number;
};

async function readExactly(handle: FileHandle, length: number, position: number): Promise<Buffer | null> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) return null;
    filled += bytesRead;
  }
  return buffer;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads and authenticates the header: magic, manifest, seal. Checks the key before anything else
 * so "wrong master key" is told apart from "modified file", and checks the file length against
 * the seal so truncation is reported before any decryption work.
 */
export async function readBackupHeader(options: { handle: FileHandle; masterKey: Buffer }): Promise<BackupHeader> {
  const { handle, masterKey } = options;
  const fileBytes = (await handle.stat()).size;
  const start = await readExactly(handle, BACKUP_MAGIC.length + 4, 0);
  if (!start || !start.subarray(0, BACKUP_MAGIC_PREFIX.length).equals(BACKUP_MAGIC_PREFIX)) {
    throw new BackupError('not-a-backup', 'this is not a Vigil backup file (no VIGILBK header)');
  }
  if (!start.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) {
    throw new BackupError(
      'unsupported-format',
      `this backup uses format ${start.subarray(0, BACKUP_MAGIC.length).toString('latin1')}, which this version of Vigil cannot read`,
    );
  }
  const manifestLength = start.readUInt32BE(BACKUP_MAGIC.length);
  if (manifestLength > MAX_MANIFEST_BYTES) {
    throw new BackupError('manifest-tampered', 'the backup header is corrupt (manifest length out of range)');
  }
  const { sealOffset, bodyOffset } = headerLayout(manifestLength);
  const rest = await readExactly(handle, bodyOffset - start.length, start.length);
  if (!rest) throw new BackupError('truncated', 'the backup file is truncated: it ends inside its header');

  const manifestBytes = rest.subarray(0, manifestLength);
  const storedManifestMac = rest.subarray(manifestLength, manifestLength + MAC_BYTES);
  const sealStart = sealOffset - start.length;
  const sealBytes = rest.subarray(sealStart, sealStart + SEAL_BYTES);
  const storedSealMac = rest.subarray(sealStart + SEAL_BYTES, sealStart + SEAL_BYTES + MAC_BYTES);

  const parsedManifest = backupManifestSchema.safeParse(parseJson(manifestBytes));
  if (!parsedManifest.success) {
    throw new BackupError('manifest-tampered', 'the backup manifest is corrupt or was modified (it does not parse)');
  }
  const manifest = parsedManifest.data;

  let fileKey: Buffer;
  try {
    fileKey = unwrapKey(masterKey, manifest.encryption.wrappedFileKey, BACKUP_KEY_AAD);
  } catch (error) {
    if (!(error instanceof MasterKeyError)) throw error;
    const fingerprint = masterKeyFingerprint(masterKey);
    if (manifest.encryption.kekFingerprint !== fingerprint) {
      throw new BackupError(
        'wrong-key',
        `wrong master key: this backup was encrypted under the master key with fingerprint ${manifest.encryption.kekFingerprint}, ` +
          `but the configured key (VIGIL_MASTER_KEY) has fingerprint ${fingerprint}. Use the key that was in use when the backup was made.`,
      );
    }
    // The fingerprint matches, so the key is right and the wrapped key itself was altered.
    throw new BackupError('manifest-tampered', 'the backup manifest was modified: its file key does not unwrap');
  }
  const keys = deriveBackupKeys(fileKey);
  fileKey.fill(0);
  if (!macMatches(manifestMac(keys.headerKey, manifestBytes), storedManifestMac)) {
    throw new BackupError('manifest-tampered', 'the backup manifest was modified after the backup was written');
  }
  const manifestHash = sha256(manifestBytes);
  if (!macMatches(sealMac(keys.headerKey, manifestHash, sealBytes), storedSealMac)) {
    throw new BackupError(
      'manifest-tampered',
      'the backup seal (payload digest) was modified, or the backup was never completed',
    );
  }
  const parsedSeal = backupSealSchema.safeParse(parseJson(sealBytes));
  if (!parsedSeal.success) throw new BackupError('manifest-tampered', 'the backup seal is corrupt');
  const seal = parsedSeal.data;

  const expectedBytes = bodyOffset + seal.chunks * CHUNK_OVERHEAD_BYTES + seal.compressedBytes;
  if (fileBytes < expectedBytes) {
    throw new BackupError(
      'truncated',
      `the backup file is truncated: ${fileBytes} bytes, but its seal says ${expectedBytes} (copy it again from the source)`,
    );
  }
  if (fileBytes > expectedBytes) {
    throw new BackupError(
      'body-tampered',
      `the backup file has ${fileBytes - expectedBytes} unexpected bytes after its last chunk (it was modified)`,
    );
  }
  return { manifest, seal, manifestHash, keys, bodyOffset, fileBytes };
}
