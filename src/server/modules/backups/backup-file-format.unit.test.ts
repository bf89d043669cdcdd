// Attacks on a backup file at rest: whoever holds the file (a backup bucket, a stolen disk) must
// neither read it nor change, cut, reorder or splice it into something that restores.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BackupError, type BackupErrorCode } from './backup-error.ts';
import { CHUNK_PREFIX_BYTES, CHUNK_NONCE_BYTES, CHUNK_TAG_BYTES, headerLayout } from './backup-format.ts';
import { decryptBackupToFile } from './decrypt-backup-file.ts';
import { type BackupDescriptor, writeBackupFile } from './write-backup-file.ts';

const directory = mkdtempSync(path.join(tmpdir(), 'vigil-backup-format-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const masterKey = randomBytes(32);
const CHUNK = 4096;

function descriptor(): BackupDescriptor {
  return {
    format: 'vigil-backup',
    formatVersion: 1,
    backupId: randomUUID(),
    createdAt: '2026-01-01T00:00:00.000Z',
    vigilVersion: '0.0.0-test',
    database: { kind: 'postgres', serverVersion: '15', payload: 'pg_dump-custom' },
    schemaVersion: { migrations: ['0001_foundation.sql'] },
    tables: [{ schema: 'public', name: 'deals', rows: 12345 }],
    auditChains: [{ orgId: null, events: 2, maxSeq: 2, lastHash: 'a'.repeat(64) }],
  };
}

let counter = 0;
function file(name: string): string {
  counter += 1;
  return path.join(directory, `${counter}-${name}`);
}

/** Random bytes do not compress, so the body has as many chunks as the payload suggests. */
async function writeBackup(payload: Buffer, key = masterKey): Promise<string> {
  const out = file('backup.vbk');
  await writeBackupFile({
    file: out,
    masterKey: key,
    descriptor: descriptor(),
    payload: Readable.from([payload]),
    chunkBytes: CHUNK,
  });
  return out;
}

async function restoreError(backup: string, key = masterKey): Promise<BackupError> {
  const error = await decryptBackupToFile({ file: backup, masterKey: key, destination: file('out') }).then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof BackupError)) throw new Error(`expected a BackupError, got ${String(error)}`);
  return error;
}

async function expectFailure(backup: string, code: BackupErrorCode, key = masterKey): Promise<void> {
  const error = await restoreError(backup, key);
  expect(error.code).toBe(code);
}

/** Offsets of every chunk record: [start, end) in the file. */
function chunkRecords(bytes: Buffer): { start: number; end: number }[] {
  const { bodyOffset } = headerLayout(bytes.readUInt32BE(8));
  const records: { start: number; end: number }[] = [];
  for (let position = bodyOffset; position < bytes.length;) {
    const end = position + CHUNK_PREFIX_BYTES + CHUNK_NONCE_BYTES + bytes.readUInt32BE(position + 1) + CHUNK_TAG_BYTES;
    records.push({ start: position, end });
    position = end;
  }
  return records;
}

function variant(source: string, change: (bytes: Buffer) => Buffer): string {
  const out = file('variant.vbk');
  writeFileSync(out, change(Buffer.from(readFileSync(source))));
  return out;
}

describe('backup file format', () => {
  const payload = randomBytes(5 * CHUNK + 123);

  it('round-trips a multi-chunk payload and an empty one', async () => {
    const backup = await writeBackup(payload);
    expect(chunkRecords(readFileSync(backup)).length).toBeGreaterThan(4);
    const out = file('plain');
    const { seal } = await decryptBackupToFile({ file: backup, masterKey, destination: out });
    expect(readFileSync(out).equals(payload)).toBe(true);
    expect(seal.payloadBytes).toBe(payload.length);

    const empty = await writeBackup(Buffer.alloc(0));
    const emptyOut = file('plain');
    await decryptBackupToFile({ file: empty, masterKey, destination: emptyOut });
    expect(readFileSync(emptyOut).length).toBe(0);
  });

  it('keeps the payload unreadable: no plaintext run appears in the file', async () => {
    const marker = Buffer.from('VERY-SECRET-CUSTOMER-NAME-'.repeat(50));
    const backup = await writeBackup(marker);
    expect(readFileSync(backup).includes(Buffer.from('VERY-SECRET'))).toBe(false);
  });

  it('rejects a flipped byte anywhere in the body', async () => {
    const backup = await writeBackup(payload);
    const records = chunkRecords(readFileSync(backup));
    for (const [index, record] of records.entries()) {
      // In the nonce, the ciphertext and the tag of every chunk.
      for (const offset of [
        CHUNK_PREFIX_BYTES,
        CHUNK_PREFIX_BYTES + CHUNK_NONCE_BYTES + 7,
        record.end - record.start - 1,
      ]) {
        const tampered = variant(backup, (bytes) => {
          bytes[record.start + offset]! ^= 0x01;
          return bytes;
        });
        const error = await restoreError(tampered);
        expect(error.code, `chunk ${index} offset ${offset}`).toBe('body-tampered');
        expect(error.message).toMatch(new RegExp(`chunk ${index} fails authentication`));
      }
    }
  });

  it('rejects a non-final chunk relabelled as final, and reordered chunks', async () => {
    const backup = await writeBackup(payload);
    const records = chunkRecords(readFileSync(backup));
    const relabelled = variant(backup, (bytes) => {
      bytes[records[0]!.start] = 1;
      return bytes;
    });
    await expectFailure(relabelled, 'body-tampered');
    const swapped = variant(backup, (bytes) => {
      const [first, second] = [records[1]!, records[2]!];
      return Buffer.concat([
        bytes.subarray(0, first.start),
        bytes.subarray(second.start, second.end),
        bytes.subarray(first.start, first.end),
        bytes.subarray(second.end),
      ]);
    });
    await expectFailure(swapped, 'body-tampered');
  });

  it('rejects a chunk spliced in from another backup made with the same master key', async () => {
    const backup = await writeBackup(payload);
    const other = await writeBackup(payload);
    const records = chunkRecords(readFileSync(backup));
    const otherRecords = chunkRecords(readFileSync(other));
    const spliced = variant(backup, (bytes) => {
      const donor = readFileSync(other).subarray(otherRecords[1]!.start, otherRecords[1]!.end);
      return Buffer.concat([bytes.subarray(0, records[1]!.start), donor, bytes.subarray(records[1]!.end)]);
    });
    await expectFailure(spliced, 'body-tampered');
  });

  it('reports truncation: at a chunk boundary, inside a chunk, inside the header', async () => {
    const backup = await writeBackup(payload);
    const records = chunkRecords(readFileSync(backup));
    const atBoundary = variant(backup, (bytes) => bytes.subarray(0, records.at(-1)!.start));
    const error = await restoreError(atBoundary);
    expect(error.code).toBe('truncated');
    expect(error.message).toMatch(/truncated/);
    await expectFailure(
      variant(backup, (bytes) => bytes.subarray(0, records[2]!.start + 100)),
      'truncated',
    );
    await expectFailure(
      variant(backup, (bytes) => bytes.subarray(0, 40)),
      'truncated',
    );
    await expectFailure(
      variant(backup, (bytes) => Buffer.concat([bytes, Buffer.from('extra')])),
      'body-tampered',
    );
  });

  it('rejects an edited manifest, an edited seal, and a swapped key fingerprint', async () => {
    const backup = await writeBackup(payload);
    const rowsEdited = variant(backup, (bytes) => {
      const text = bytes.toString('latin1').replace('"rows":12345', '"rows":12346');
      return Buffer.from(text, 'latin1');
    });
    const rowsError = await restoreError(rowsEdited);
    expect(rowsError.code).toBe('manifest-tampered');
    expect(rowsError.message).toMatch(/manifest was modified/);

    const sealEdited = variant(backup, (bytes) => {
      const text = bytes.toString('latin1').replace(/"payloadBytes":(\d)/, '"payloadBytes":9');
      return Buffer.from(text, 'latin1');
    });
    await expectFailure(sealEdited, 'manifest-tampered');

    const fingerprintEdited = variant(backup, (bytes) => {
      const text = bytes
        .toString('latin1')
        .replace(
          /"kekFingerprint":"([0-9a-f])/,
          (_m, first: string) => `"kekFingerprint":"${first === 'a' ? 'b' : 'a'}`,
        );
      return Buffer.from(text, 'latin1');
    });
    await expectFailure(fingerprintEdited, 'manifest-tampered');

    const unparsable = variant(backup, (bytes) => {
      bytes[13] = 0x00;
      return bytes;
    });
    await expectFailure(unparsable, 'manifest-tampered');
  });

  it('leaves nothing behind when aborted (a scheduled backup whose job lease was lost)', async () => {
    const out = file('aborted.vbk');
    const controller = new AbortController();
    controller.abort(new Error('job lease lost'));
    const written = writeBackupFile({
      file: out,
      masterKey,
      descriptor: descriptor(),
      payload: Readable.from([payload]),
      chunkBytes: CHUNK,
      signal: controller.signal,
    });
    await expect(written).rejects.toThrow();
    expect(readdirSync(directory).filter((name) => name.includes('aborted'))).toEqual([]);
  });

  it('tells a wrong master key apart from tampering', async () => {
    const backup = await writeBackup(payload);
    const error = await restoreError(backup, randomBytes(32));
    expect(error.code).toBe('wrong-key');
    expect(error.message).toMatch(/wrong master key/);
  });

  it('refuses files that are not backups, or of an unknown format version', async () => {
    const notBackup = file('notes.txt');
    writeFileSync(notBackup, 'hello');
    await expectFailure(notBackup, 'not-a-backup');
    const backup = await writeBackup(payload);
    await expectFailure(
      variant(backup, (bytes) => {
        bytes[7] = '2'.charCodeAt(0);
        return bytes;
      }),
      'unsupported-format',
    );
    await expectFailure(path.join(directory, 'missing.vbk'), 'not-a-backup');
  });
});
