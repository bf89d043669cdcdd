import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * The `.vbk` file format (docs/operations.md has the full description):
 *
 *   "VIGILBK1"                 8 bytes   magic; the digit is the format version
 *   manifest length            u32 BE
 *   manifest                   UTF-8 JSON, written once before the body
 *   manifest MAC               32 bytes  HMAC-SHA256(header key, "manifest\0" ‖ manifest)
 *   seal                       256 bytes UTF-8 JSON padded with spaces: payload digest and sizes,
 *                                        known only after streaming, so written last in place
 *   seal MAC                   32 bytes  HMAC-SHA256(header key, "seal\0" ‖ SHA-256(manifest) ‖ seal)
 *   chunk*                     flags u8 ‖ length u32 BE ‖ nonce 12 ‖ ciphertext ‖ tag 16
 *
 * The body is the gzip-compressed payload cut into chunks, each sealed with AES-256-GCM under the
 * chunk key, a fresh nonce and AAD = "vigil:backup:v1:chunk" ‖ SHA-256(manifest) ‖ index u64 BE ‖
 * final u8. So a modified, dropped, reordered or spliced chunk, a truncated file (no final chunk)
 * and a modified manifest all fail authentication.
 *
 * Keys: a random per-backup file key, stored wrapped by the master key in the manifest (a backup
 * must restore into an empty database, so it cannot rely on data keys kept inside one); the chunk
 * and header keys are derived from it with HKDF so no key serves two algorithms.
 */

export const BACKUP_MAGIC = Buffer.from('VIGILBK1', 'ascii');
/** Older or newer versions share this prefix: lets us say "unsupported version" rather than "not a backup". */
export const BACKUP_MAGIC_PREFIX = Buffer.from('VIGILBK', 'ascii');
export const BACKUP_FORMAT_VERSION = 1;
/** AAD of the wrapped file key (wrapKey / unwrapKey). */
export const BACKUP_KEY_AAD = 'vigil:backup:v1';
export const BACKUP_FILE_EXTENSION = '.vbk';

export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** A reader never allocates more than this per chunk, whatever a (hostile) manifest says. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const SEAL_BYTES = 256;
export const MAC_BYTES = 32;
export const CHUNK_NONCE_BYTES = 12;
export const CHUNK_TAG_BYTES = 16;
/** flags u8 + length u32 BE */
export const CHUNK_PREFIX_BYTES = 5;
export const CHUNK_OVERHEAD_BYTES = CHUNK_PREFIX_BYTES + CHUNK_NONCE_BYTES + CHUNK_TAG_BYTES;
export const CHUNK_FLAG_FINAL = 1;

const count = z.number().int().nonnegative();
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const tableCountSchema = z.object({ schema: z.string(), name: z.string(), rows: count });
export type TableCount = z.infer<typeof tableCountSchema>;

export const auditChainHeadSchema = z.object({
  /** null: the platform chain. */
  orgId: z.string().nullable(),
  events: count,
  maxSeq: count,
  lastHash: z.string(),
});
export type AuditChainHead = z.infer<typeof auditChainHeadSchema>;

export const databaseKindSchema = z.enum(['postgres', 'pglite']);

export const backupManifestSchema = z.object({
  format: z.literal('vigil-backup'),
  formatVersion: z.literal(BACKUP_FORMAT_VERSION),
  backupId: z.string().uuid(),
  createdAt: z.string().datetime(),
  vigilVersion: z.string(),
  database: z.object({
    kind: databaseKindSchema,
    serverVersion: z.string(),
    /** pg_dump's custom format, or a tarball of PGlite's data directory. */
    payload: z.enum(['pg_dump-custom', 'pglite-datadir-tar']),
  }),
  /** Applied migrations (vigil_migrations), in order. */
  schemaVersion: z.object({ migrations: z.array(z.string()) }),
  /** Every table in a non-system schema, discovered from the catalog. */
  tables: z.array(tableCountSchema),
  auditChains: z.array(auditChainHeadSchema),
  encryption: z.object({
    cipher: z.literal('aes-256-gcm'),
    compression: z.literal('gzip'),
    chunkBytes: z.number().int().min(1024).max(MAX_CHUNK_BYTES),
    kekFingerprint: z.string(),
    wrappedFileKey: z.string(),
  }),
});
export type BackupManifest = z.infer<typeof backupManifestSchema>;

export const backupSealSchema = z.object({
  /** SHA-256 of the plaintext payload (the pg_dump archive / data-directory tarball). */
  payloadSha256: sha256Hex,
  payloadBytes: count,
  /** Bytes of gzip output, i.e. of chunk plaintext. */
  compressedBytes: count,
  chunks: z.number().int().positive(),
});
export type BackupSeal = z.infer<typeof backupSealSchema>;

/** Offsets of the header parts; the body starts at `bodyOffset`. */
export function headerLayout(manifestBytes: number): { sealOffset: number; bodyOffset: number } {
  const sealOffset = BACKUP_MAGIC.length + 4 + manifestBytes + MAC_BYTES;
  return { sealOffset, bodyOffset: sealOffset + SEAL_BYTES + MAC_BYTES };
}

export type BackupKeys = { chunkKey: Buffer; headerKey: Buffer };

export function deriveBackupKeys(fileKey: Buffer): BackupKeys {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), info, 32));
  return { chunkKey: derive('vigil:backup:v1:chunks'), headerKey: derive('vigil:backup:v1:header') };
}

export function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

export function manifestMac(headerKey: Buffer, manifest: Buffer): Buffer {
  return createHmac('sha256', headerKey).update('manifest\0').update(manifest).digest();
}

export function sealMac(headerKey: Buffer, manifestHash: Buffer, seal: Buffer): Buffer {
  return createHmac('sha256', headerKey).update('seal\0').update(manifestHash).update(seal).digest();
}

export function macMatches(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const CHUNK_AAD_PREFIX = Buffer.from('vigil:backup:v1:chunk', 'ascii');

/** Binds a chunk to this backup's manifest, its position, and whether it is the last one. */
export function chunkAad(manifestHash: Buffer, index: number, final: boolean): Buffer {
  const position = Buffer.alloc(9);
  position.writeBigUInt64BE(BigInt(index), 0);
  position.writeUInt8(final ? 1 : 0, 8);
  return Buffer.concat([CHUNK_AAD_PREFIX, manifestHash, position]);
}

/** The seal as written: JSON padded with spaces to SEAL_BYTES (JSON.parse ignores the padding). */
export function encodeSeal(seal: BackupSeal): Buffer {
  const json = Buffer.from(JSON.stringify(seal), 'utf8');
  if (json.length > SEAL_BYTES) throw new Error('backup seal does not fit its reserved space');
  return Buffer.concat([json, Buffer.alloc(SEAL_BYTES - json.length, 0x20)]);
}

/** Placeholder written before the body; replaced by the real seal once the payload is done. */
export const EMPTY_SEAL = Buffer.alloc(SEAL_BYTES, 0x20);
