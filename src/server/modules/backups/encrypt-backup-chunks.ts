import { createCipheriv, randomBytes } from 'node:crypto';
import { CHUNK_FLAG_FINAL, CHUNK_NONCE_BYTES, chunkAad } from './backup-format.ts';

/**
 * Cuts a byte stream into `chunkBytes` pieces and seals each as one record (see backup-format.ts).
 * A piece is only sealed once the next byte has arrived, so the last record can carry the final
 * flag; memory stays at about two chunks whatever the size of the stream.
 */
export function encryptBackupChunks(options: {
  chunkKey: Buffer;
  manifestHash: Buffer;
  chunkBytes: number;
  onChunk?: (plaintextBytes: number) => void;
}): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const { chunkKey, manifestHash, chunkBytes } = options;
  let index = 0;

  const seal = (plaintext: Buffer, final: boolean): Buffer => {
    const nonce = randomBytes(CHUNK_NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', chunkKey, nonce);
    cipher.setAAD(chunkAad(manifestHash, index, final));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt8(final ? CHUNK_FLAG_FINAL : 0, 0);
    prefix.writeUInt32BE(ciphertext.length, 1);
    index += 1;
    options.onChunk?.(plaintext.length);
    return Buffer.concat([prefix, nonce, ciphertext, cipher.getAuthTag()]);
  };

  return async function* (source) {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const piece of source) {
      pending.push(piece);
      pendingBytes += piece.length;
      // Strictly more than one chunk: the bytes beyond it prove this chunk is not the last.
      if (pendingBytes > chunkBytes) {
        let buffered = Buffer.concat(pending, pendingBytes);
        while (buffered.length > chunkBytes) {
          yield seal(buffered.subarray(0, chunkBytes), false);
          buffered = buffered.subarray(chunkBytes);
        }
        pending = [buffered];
        pendingBytes = buffered.length;
      }
    }
    yield seal(Buffer.concat(pending, pendingBytes), true);
  };
}
