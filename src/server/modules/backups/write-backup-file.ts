import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { KEY_BYTES } from '../../platform/crypto/aes-gcm.ts';
import { masterKeyFingerprint, wrapKey } from '../../platform/crypto/master-key.ts';
import {
  BACKUP_KEY_AAD,
  BACKUP_MAGIC,
  type BackupManifest,
  type BackupSeal,
  DEFAULT_CHUNK_BYTES,
  deriveBackupKeys,
  EMPTY_SEAL,
  encodeSeal,
  headerLayout,
  MAC_BYTES,
  manifestMac,
  sealMac,
  sha256,
} from './backup-format.ts';
import { encryptBackupChunks } from './encrypt-backup-chunks.ts';

export type BackupDescriptor = Omit<BackupManifest, 'encryption'>;

export type WrittenBackup = { file: string; manifest: BackupManifest; seal: BackupSeal; fileBytes: number };

/**
 * Streams `payload` into an encrypted backup file: hash → gzip → sealed chunks → disk, in
 * constant memory. Writes to a temporary name beside `file` and renames only once the seal is in
 * place and synced, so a crash or error never leaves a half-written file under the real name.
 */
export async function writeBackupFile(options: {
  file: string;
  masterKey: Buffer;
  descriptor: BackupDescriptor;
  payload: Readable;
  chunkBytes?: number;
  /** gzip level: 1 is several times faster than the default 6 for ~10% more bytes. */
  compressionLevel?: number;
  onProgress?: (payloadBytes: number) => void;
  signal?: AbortSignal;
}): Promise<WrittenBackup> {
  const { file, masterKey, descriptor } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const fileKey = randomBytes(KEY_BYTES);
  const manifest: BackupManifest = {
    ...descriptor,
    encryption: {
      cipher: 'aes-256-gcm',
      compression: 'gzip',
      chunkBytes,
      kekFingerprint: masterKeyFingerprint(masterKey),
      wrappedFileKey: wrapKey(masterKey, fileKey, BACKUP_KEY_AAD),
    },
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  const manifestHash = sha256(manifestBytes);
  const { chunkKey, headerKey } = deriveBackupKeys(fileKey);
  fileKey.fill(0);
  const { sealOffset, bodyOffset } = headerLayout(manifestBytes.length);

  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.partial-${randomBytes(4).toString('hex')}`);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(manifestBytes.length, 0);
  const header = Buffer.concat([
    BACKUP_MAGIC,
    length,
    manifestBytes,
    manifestMac(headerKey, manifestBytes),
    EMPTY_SEAL,
    Buffer.alloc(MAC_BYTES),
  ]);

  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.write(header, 0, header.length, 0);
    } finally {
      await handle.close();
    }

    const digest = createHash('sha256');
    let payloadBytes = 0;
    let compressedBytes = 0;
    let chunks = 0;
    await pipeline(
      options.payload,
      async function* hashPayload(source: AsyncIterable<Buffer>) {
        for await (const piece of source) {
          digest.update(piece);
          payloadBytes += piece.length;
          options.onProgress?.(payloadBytes);
          yield piece;
        }
      },
      createGzip({ level: options.compressionLevel ?? zlibConstants.Z_DEFAULT_COMPRESSION }),
      encryptBackupChunks({
        chunkKey,
        manifestHash,
        chunkBytes,
        onChunk: (bytes) => {
          compressedBytes += bytes;
          chunks += 1;
        },
      }),
      createWriteStream(temporary, { flags: 'r+', start: bodyOffset }),
      { signal: options.signal },
    );

    const seal: BackupSeal = { payloadSha256: digest.digest('hex'), payloadBytes, compressedBytes, chunks };
    const sealBytes = encodeSeal(seal);
    const sealed = await open(temporary, 'r+');
    let fileBytes: number;
    try {
      const tail = Buffer.concat([sealBytes, sealMac(headerKey, manifestHash, sealBytes)]);
      await sealed.write(tail, 0, tail.length, sealOffset);
      await sealed.sync();
      fileBytes = (await sealed.stat()).size;
    } finally {
      await sealed.close();
    }
    await rename(temporary, file);
    await syncDirectory(path.dirname(file));
    return { file, manifest, seal, fileBytes };
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}

/** Makes the rename durable: without it a power cut can lose the directory entry. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync().catch(() => {});
  } finally {
    await handle.close();
  }
}
