import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { gt, isNull, or } from 'drizzle-orm';
import type { Clock } from '../../../platform/clock.ts';
import type { Keyring } from '../../../platform/crypto/keyring.ts';
import type { Database } from '../../../platform/db/database.ts';
import { generateSigningKey, signingKeySealPlace } from './generate-signing-key.ts';
import { RETIRED_KEY_VERIFY_MS, SIGNING_KEY_CACHE_MS } from './session-lifetimes.ts';
import { jwtSigningKeys, type PublicSigningJwk } from './session-tables.ts';

export type SigningKeyStore = {
  /** The active private key; creates the first key on first use. */
  signingKey(): Promise<{ kid: string; privateKey: KeyObject }>;
  /**
   * The public key for `kid`, or null when no key of that id is in its verification window
   * (active, or retired less than RETIRED_KEY_VERIFY_MS ago).
   */
  verificationKey(kid: string): Promise<KeyObject | null>;
  /** The keys /.well-known/jwks.json publishes: the same set verification accepts. */
  publishedKeys(): Promise<PublicSigningJwk[]>;
  /** Forget cached keys (after this process rotated). */
  refresh(): void;
};

type PublicEntry = { key: KeyObject; jwk: PublicSigningJwk; retiredAt: Date | null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An unknown `kid` triggers at most one re-read per this interval, so junk kids cannot flood the database. */
const UNKNOWN_KID_RELOAD_MS = 1000;

/**
 * Caches signing keys per process. Keys change only by rotation, which another process may do:
 * the cache is re-read every SIGNING_KEY_CACHE_MS, and when a token names a key id this process
 * has not seen (a newer key). Private keys are opened from the keyring once per load.
 */
export function createSigningKeyStore(options: {
  database: Database;
  keyring: Keyring;
  clock: Clock;
}): SigningKeyStore {
  const { database, keyring, clock } = options;
  let publicKeys: { byKid: Map<string, PublicEntry>; loadedAt: number } | null = null;
  let loadingPublic: Promise<Map<string, PublicEntry>> | null = null;
  let active: { kid: string; privateKey: KeyObject; loadedAt: number } | null = null;
  let loadingActive: Promise<{ kid: string; privateKey: KeyObject }> | null = null;

  const nowMs = () => clock.now().getTime();
  const inWindow = (entry: PublicEntry) =>
    entry.retiredAt === null || nowMs() - entry.retiredAt.getTime() <= RETIRED_KEY_VERIFY_MS;

  async function readPublicKeys(): Promise<Map<string, PublicEntry>> {
    const rows = await database.orm
      .select({ id: jwtSigningKeys.id, publicJwk: jwtSigningKeys.publicJwk, retiredAt: jwtSigningKeys.retiredAt })
      .from(jwtSigningKeys)
      .where(
        or(isNull(jwtSigningKeys.retiredAt), gt(jwtSigningKeys.retiredAt, new Date(nowMs() - RETIRED_KEY_VERIFY_MS))),
      );
    const byKid = new Map<string, PublicEntry>();
    for (const row of rows) {
      byKid.set(row.id, {
        key: createPublicKey({ key: row.publicJwk, format: 'jwk' }),
        jwk: row.publicJwk,
        retiredAt: row.retiredAt,
      });
    }
    return byKid;
  }

  async function loadPublicKeys(force: boolean): Promise<Map<string, PublicEntry>> {
    if (!force && publicKeys && nowMs() - publicKeys.loadedAt < SIGNING_KEY_CACHE_MS) return publicKeys.byKid;
    loadingPublic ??= readPublicKeys()
      .then((byKid) => {
        publicKeys = { byKid, loadedAt: nowMs() };
        return byKid;
      })
      .finally(() => {
        loadingPublic = null;
      });
    return loadingPublic;
  }

  async function readActiveKey(): Promise<{ kid: string; privateKey: KeyObject }> {
    const select = () =>
      database.orm
        .select({ id: jwtSigningKeys.id, privateKey: jwtSigningKeys.privateKey })
        .from(jwtSigningKeys)
        .where(isNull(jwtSigningKeys.retiredAt));
    let [row] = await select();
    if (!row) {
      // First start: create the first key. Another process may do the same at the same moment;
      // the one-active-key index keeps exactly one of them.
      const first = await generateSigningKey({ keyring, createdAt: clock.now() });
      await database.orm.insert(jwtSigningKeys).values(first).onConflictDoNothing();
      [row] = await select();
      if (!row) throw new Error('no active JWT signing key after creating one');
      publicKeys = null;
    }
    const der = await keyring.open(row.privateKey, signingKeySealPlace(row.id));
    return { kid: row.id, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
  }

  return {
    async signingKey() {
      if (active && nowMs() - active.loadedAt < SIGNING_KEY_CACHE_MS) return active;
      loadingActive ??= readActiveKey()
        .then((loaded) => {
          active = { ...loaded, loadedAt: nowMs() };
          return loaded;
        })
        .finally(() => {
          loadingActive = null;
        });
      return loadingActive;
    },
    async verificationKey(kid) {
      // Key ids are UUIDs; anything else is refused before touching the cache or the database.
      if (!UUID.test(kid)) return null;
      let entry = (await loadPublicKeys(false)).get(kid);
      if (!entry && publicKeys && nowMs() - publicKeys.loadedAt >= UNKNOWN_KID_RELOAD_MS) {
        entry = (await loadPublicKeys(true)).get(kid);
      }
      return entry && inWindow(entry) ? entry.key : null;
    },
    async publishedKeys() {
      // Make sure there is a key to publish before anyone needs to verify one.
      await this.signingKey();
      return [...(await loadPublicKeys(false)).values()].filter(inWindow).map((entry) => entry.jwk);
    },
    refresh() {
      publicKeys = null;
      active = null;
    },
  };
}
