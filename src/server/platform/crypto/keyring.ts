import { randomBytes } from 'node:crypto';
import { asc, ne } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { dataKeys } from '../db/schema.ts';
import { DecryptionError, decryptAesGcm, encryptAesGcm, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from './aes-gcm.ts';
import { MasterKeyError, masterKeyFingerprint, unwrapKey, wrapKey } from './master-key.ts';

/**
 * Where a sealed value lives. It is bound into the ciphertext as AAD, so a value copied to
 * another column, row or organisation no longer opens.
 */
export type SealPlace = { table: string; column: string; rowId: string; orgId: string | null };

/** Sealed text format: `vs1.<key version>.<base64url nonce>.<base64url ciphertext‖tag>`. */
const SEALED_PREFIX = 'vs1';
const SEALED_PATTERN = /^vs1\.(\d{1,9})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

export class SealError extends Error {
  override name = 'SealError';
}

export function dataKeyAad(version: number): string {
  return `vigil:data-key:v${version}`;
}

function placeAad(place: SealPlace): Buffer {
  for (const part of [place.table, place.column, place.rowId, place.orgId ?? '']) {
    if (part.includes(':')) throw new SealError('seal place parts must not contain ":"');
  }
  return Buffer.from(`${place.table}:${place.column}:${place.rowId}:${place.orgId ?? ''}`);
}

/** The key version a sealed value was encrypted with (for rotation), or null if not sealed. */
export function sealedKeyVersion(sealed: string): number | null {
  const match = SEALED_PATTERN.exec(sealed);
  return match ? Number(match[1]) : null;
}

export function isSealed(value: string): boolean {
  return SEALED_PATTERN.test(value);
}

/** Seals with a given data key version: the keyring's seal, and key rotation's re-encryption. */
export function sealWithKey(version: number, key: Buffer, plaintext: Buffer, place: SealPlace): string {
  const { nonce, ciphertext, tag } = encryptAesGcm(key, plaintext, placeAad(place));
  return `${SEALED_PREFIX}.${version}.${nonce.toString('base64url')}.${Buffer.concat([ciphertext, tag]).toString('base64url')}`;
}

/** Opens with the key of the version the value names (`keyFor` returns undefined if unknown). */
export function openWithKey(sealed: string, place: SealPlace, keyFor: (version: number) => Buffer | undefined): Buffer {
  const match = SEALED_PATTERN.exec(sealed);
  if (!match) throw new SealError(`value in ${place.table}.${place.column} is not a sealed value`);
  const version = Number(match[1]);
  const key = keyFor(version);
  if (!key)
    throw new SealError(
      `data key v${version} is unknown or retired; the value in ${place.table}.${place.column} cannot be opened`,
    );
  const nonce = Buffer.from(match[2] as string, 'base64url');
  const body = Buffer.from(match[3] as string, 'base64url');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new SealError('sealed value is truncated');
  try {
    return decryptAesGcm(
      key,
      nonce,
      body.subarray(0, body.length - TAG_BYTES),
      body.subarray(body.length - TAG_BYTES),
      placeAad(place),
    );
  } catch (error) {
    if (error instanceof DecryptionError) {
      throw new SealError(
        `sealed value in ${place.table}.${place.column} does not open here: it was corrupted or moved from another row or organisation`,
      );
    }
    throw error;
  }
}

export type Keyring = {
  /** Encrypts with the active data key, bound to `place`. */
  seal(plaintext: string | Buffer, place: SealPlace): Promise<string>;
  /** Decrypts; throws SealError naming the reason (unknown key version, wrong place, corrupted). */
  open(sealed: string, place: SealPlace): Promise<Buffer>;
  openText(sealed: string, place: SealPlace): Promise<string>;
  activeVersion(): Promise<number>;
  /** Forgets cached keys so the next use reads data_keys again (after a rotation). */
  refresh(): void;
};

type LoadedKeys = { active: { version: number; key: Buffer }; byVersion: Map<number, Buffer> };

/**
 * Envelope encryption over `data_keys`. Data keys are unwrapped once and cached; a value sealed
 * under a version this process has not seen yet (rotation by another process) triggers a reload.
 * The first use creates data key v1 if the table is empty.
 */
export function createKeyring(options: {
  database: Database;
  masterKey: Buffer;
  cacheMs?: number;
  now?: () => number;
}): Keyring {
  const { database, masterKey } = options;
  const fingerprint = masterKeyFingerprint(masterKey);
  const cacheMs = options.cacheMs ?? 60_000;
  const now = options.now ?? Date.now;
  let loaded: { keys: LoadedKeys; at: number } | null = null;
  let loading: Promise<LoadedKeys> | null = null;

  async function readKeys(): Promise<LoadedKeys> {
    let rows = await database.orm
      .select()
      .from(dataKeys)
      .where(ne(dataKeys.state, 'retired'))
      .orderBy(asc(dataKeys.version));
    if (rows.length === 0) {
      await database.orm
        .insert(dataKeys)
        .values({
          version: 1,
          state: 'active',
          wrappedKey: wrapKey(masterKey, randomBytes(KEY_BYTES), dataKeyAad(1)),
          kekFingerprint: fingerprint,
        })
        .onConflictDoNothing();
      rows = await database.orm
        .select()
        .from(dataKeys)
        .where(ne(dataKeys.state, 'retired'))
        .orderBy(asc(dataKeys.version));
    }
    const byVersion = new Map<number, Buffer>();
    let active: LoadedKeys['active'] | null = null;
    for (const row of rows) {
      if (row.kekFingerprint !== fingerprint) {
        throw new MasterKeyError(
          `data key v${row.version} is wrapped by another master key (fingerprint ${row.kekFingerprint}, this key is ${fingerprint}); ` +
            'use the right VIGIL_MASTER_KEY or finish `vigil keys rotate --master`',
        );
      }
      const key = unwrapKey(masterKey, row.wrappedKey as string, dataKeyAad(row.version));
      byVersion.set(row.version, key);
      if (row.state === 'active') active = { version: row.version, key };
    }
    if (!active) throw new SealError('no active data key; run `vigil keys rotate` to finish a rotation');
    return { active, byVersion };
  }

  function reload(): Promise<LoadedKeys> {
    loading ??= readKeys()
      .then((fresh) => {
        loaded = { keys: fresh, at: now() };
        return fresh;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  async function keys(force = false): Promise<LoadedKeys> {
    if (force || !loaded) return reload();
    // Past the cache period the keys are re-read in the background and the cached ones serve
    // this call: a seal or open may run inside a transaction, and on the embedded database (one
    // connection) a read waited for there would wait for that transaction — forever. A failed
    // re-read keeps the cached keys; the next call past the period tries again.
    if (now() - loaded.at >= cacheMs) reload().catch(() => {});
    return loaded.keys;
  }

  async function open(sealed: string, place: SealPlace): Promise<Buffer> {
    const version = sealedKeyVersion(sealed);
    let loadedKeys = await keys();
    // A version this process has not seen yet: another process rotated; read the table again.
    if (version !== null && !loadedKeys.byVersion.has(version)) loadedKeys = await keys(true);
    return openWithKey(sealed, place, (wanted) => loadedKeys.byVersion.get(wanted));
  }

  return {
    async seal(plaintext, place) {
      const { active } = await keys();
      return sealWithKey(
        active.version,
        active.key,
        Buffer.isBuffer(plaintext) ? plaintext : Buffer.from(plaintext, 'utf8'),
        place,
      );
    },
    open,
    async openText(sealed, place) {
      return (await open(sealed, place)).toString('utf8');
    },
    async activeVersion() {
      return (await keys()).active.version;
    },
    refresh() {
      loaded = null;
    },
  };
}

/** Reads the data-key table state, e.g. for `vigil keys status`. */
export async function readDataKeyStates(database: Database) {
  return database.orm
    .select({
      version: dataKeys.version,
      state: dataKeys.state,
      kekFingerprint: dataKeys.kekFingerprint,
      createdAt: dataKeys.createdAt,
      retiredAt: dataKeys.retiredAt,
    })
    .from(dataKeys)
    .orderBy(asc(dataKeys.version));
}
