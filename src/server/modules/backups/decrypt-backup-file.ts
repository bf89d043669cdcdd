import { createDecipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BackupError } from './backup-error.ts';
import {
  type BackupManifest,
  type BackupSeal,
  CHUNK_FLAG_FINAL,
  CHUNK_NONCE_BYTES,
  CHUNK_PREFIX_BYTES,
  CHUNK_TAG_BYTES,
  chunkAad,
} from './backup-format.ts';
import { type BackupHeader, readBackupHeader } from './read-backup-header.ts';

async function readAt(handle: FileHandle, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Yields the authenticated plaintext of each chunk in order. Nothing is yielded before its tag
 * has been checked, so a consumer never sees a byte an attacker chose.
 */
async function* decryptChunks(handle: FileHandle, header: BackupHeader): AsyncGenerator<Buffer> {
  const { chunkBytes } = header.manifest.encryption;
  let position = header.bodyOffset;
  for (let index = 0; ; index += 1) {
    const prefix = await readAt(handle, CHUNK_PREFIX_BYTES, position);
    if (prefix.length === 0) {
      throw new BackupError(
        'truncated',
        `the backup file is truncated: it ends after chunk ${index} without its final chunk`,
      );
    }
    if (prefix.length < CHUNK_PREFIX_BYTES) {
      throw new BackupError('truncated', `the backup file is truncated inside chunk ${index}`);
    }
    const flags = prefix.readUInt8(0);
    const length = prefix.readUInt32BE(1);
    if ((flags & ~CHUNK_FLAG_FINAL) !== 0 || length > chunkBytes) {
      throw new BackupError(
        'body-tampered',
        `the backup body is corrupt or was modified (chunk ${index} has a bad header)`,
      );
    }
    const final = flags === CHUNK_FLAG_FINAL;
    const record = await readAt(handle, CHUNK_NONCE_BYTES + length + CHUNK_TAG_BYTES, position + CHUNK_PREFIX_BYTES);
    if (record.length < CHUNK_NONCE_BYTES + length + CHUNK_TAG_BYTES) {
      throw new BackupError('truncated', `the backup file is truncated inside chunk ${index}`);
    }
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', header.keys.chunkKey, record.subarray(0, CHUNK_NONCE_BYTES));
      decipher.setAAD(chunkAad(header.manifestHash, index, final));
      decipher.setAuthTag(record.subarray(CHUNK_NONCE_BYTES + length));
      plaintext = Buffer.concat([
        decipher.update(record.subarray(CHUNK_NONCE_BYTES, CHUNK_NONCE_BYTES + length)),
        decipher.final(),
      ]);
    } catch {
      throw new BackupError(
        'body-tampered',
        `the backup body was modified or reordered: chunk ${index} fails authentication`,
      );
    }
    position += CHUNK_PREFIX_BYTES + record.length;
    yield plaintext;
    if (final) {
      if (position !== header.fileBytes) {
        throw new BackupError('body-tampered', 'the backup file has unexpected bytes after its final chunk');
      }
      if (index + 1 !== header.seal.chunks) {
        throw new BackupError(
          'body-tampered',
          `the backup body has ${index + 1} chunks, its seal says ${header.seal.chunks}`,
        );
      }
      return;
    }
  }
}

export type DecryptedBackup = { manifest: BackupManifest; seal: BackupSeal };

/** Reads and authenticates only the header (for `vigil backup` summaries and quick checks). */
export async function readBackupManifest(options: { file: string; masterKey: Buffer }): Promise<DecryptedBackup> {
  const handle = await openBackup(options.file);
  try {
    const { manifest, seal } = await readBackupHeader({ handle, masterKey: options.masterKey });
    return { manifest, seal };
  } finally {
    await handle.close();
  }
}

async function openBackup(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new BackupError(
      'not-a-backup',
      code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code})`,
    );
  }
}

/**
 * Decrypts, decompresses and checks a backup into `destination` (created mode 0600), streaming in
 * constant memory. Resolves only when every chunk authenticated and the payload's SHA-256 and
 * size match the seal; on any failure the partial destination is the caller's to delete.
 */
export async function decryptBackupToFile(options: {
  file: string;
  masterKey: Buffer;
  destination: string;
  onProgress?: (payloadBytes: number) => void;
}): Promise<DecryptedBackup> {
  const handle = await openBackup(options.file);
  try {
    const header = await readBackupHeader({ handle, masterKey: options.masterKey });
    const digest = createHash('sha256');
    let payloadBytes = 0;
    try {
      await pipeline(
        Readable.from(decryptChunks(handle, header)),
        createGunzip(),
        async function* hashPayload(source: AsyncIterable<Buffer>) {
          for await (const piece of source) {
            digest.update(piece);
            payloadBytes += piece.length;
            options.onProgress?.(payloadBytes);
            yield piece;
          }
        },
        createWriteStream(options.destination, { flags: 'wx', mode: 0o600 }),
      );
    } catch (error) {
      if (error instanceof BackupError) throw error;
      // Authenticated bytes that do not gunzip: written corrupt by the tool itself, not tampered.
      if ((error as { code?: string }).code?.startsWith('Z_')) {
        throw new BackupError('checksum-mismatch', 'the backup payload does not decompress (the backup is corrupt)');
      }
      throw error;
    }
    const actual = digest.digest('hex');
    if (actual !== header.seal.payloadSha256 || payloadBytes !== header.seal.payloadBytes) {
      throw new BackupError(
        'checksum-mismatch',
        `the restored payload does not match the backup's checksum (SHA-256 ${actual}, ${payloadBytes} bytes; ` +
          `expected ${header.seal.payloadSha256}, ${header.seal.payloadBytes} bytes)`,
      );
    }
    return { manifest: header.manifest, seal: header.seal };
  } finally {
    await handle.close();
  }
}
