// Threats: a stolen database dump read without the master key; a ciphertext copied into
// another row or organisation to make the server decrypt it there; a corrupted value silently
// decrypting to garbage; a server started with the wrong master key.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { withPlatformTransaction } from '../db/tenant-transaction.ts';
import { createKeyring, isSealed, SealError, sealedKeyVersion } from './keyring.ts';
import { MasterKeyError } from './master-key.ts';

let testDatabase: TestDatabase;
const masterKey = randomBytes(32);
const place = { table: 'integration_tokens', column: 'access_token', rowId: '0193-row-a', orgId: '0193-org-a' };

beforeAll(async () => {
  testDatabase = await createTestDatabase();
});

afterAll(async () => {
  await testDatabase?.close();
});

describe(`envelope encryption (${testDatabaseKind})`, () => {
  it('seals and opens inside a transaction after the key cache period (no wait on its own connection)', async () => {
    let clock = 1_000_000;
    const keyring = createKeyring({ database: testDatabase.database, masterKey, cacheMs: 60_000, now: () => clock });
    const sealed = await keyring.seal('inside-a-transaction', place);
    clock += 61_000;
    // On PGlite (one connection) a key read awaited here would wait for this very transaction.
    const opened = await withPlatformTransaction(
      testDatabase.database,
      { userId: null, requestId: 'keyring' },
      async () => {
        const again = await keyring.seal('inside-a-transaction', place);
        return [await keyring.openText(sealed, place), await keyring.openText(again, place)];
      },
    );
    expect(opened).toEqual(['inside-a-transaction', 'inside-a-transaction']);
  });

  it('seals to a versioned value that does not contain the plaintext and opens it in its place', async () => {
    const keyring = createKeyring({ database: testDatabase.database, masterKey });
    const sealed = await keyring.seal('xoxb-secret-token-CANARY', place);
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyVersion(sealed)).toBe(1);
    expect(sealed).not.toContain('CANARY');
    expect(await keyring.openText(sealed, place)).toBe('xoxb-secret-token-CANARY');
    // A fresh nonce each time: equal plaintexts do not give equal ciphertexts.
    expect(await keyring.seal('xoxb-secret-token-CANARY', place)).not.toBe(sealed);
  });

  it('refuses a ciphertext moved to another row, column, table or organisation', async () => {
    const keyring = createKeyring({ database: testDatabase.database, masterKey });
    const sealed = await keyring.seal('webhook-secret', place);
    for (const moved of [
      { ...place, rowId: '0193-row-b' },
      { ...place, orgId: '0193-org-b' },
      { ...place, column: 'refresh_token' },
      { ...place, table: 'webhook_endpoints' },
      { ...place, orgId: null },
    ]) {
      await expect(keyring.open(sealed, moved)).rejects.toThrow(/moved from another row or organisation/);
    }
  });

  it('refuses corrupted, truncated and unsealed values with a clear error', async () => {
    const keyring = createKeyring({ database: testDatabase.database, masterKey });
    const sealed = await keyring.seal('value', place);
    const lastCharacter = sealed.at(-1) === 'A' ? 'B' : 'A';
    await expect(keyring.open(`${sealed.slice(0, -1)}${lastCharacter}`, place)).rejects.toThrow(SealError);
    await expect(keyring.open(sealed.slice(0, 30), place)).rejects.toThrow(/not a sealed value/);
    await expect(keyring.open('plaintext-token', place)).rejects.toThrow(/not a sealed value/);
    await expect(keyring.open(sealed.replace(/^vs1\.1\./, 'vs1.9.'), place)).rejects.toThrow(/data key v9 is unknown/);
  });

  it('stores data keys only wrapped by the master key', async () => {
    const rows = await testDatabase.adminQuery<{ wrapped_key: string; kek_fingerprint: string }>(
      'SELECT wrapped_key, kek_fingerprint FROM data_keys',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.wrapped_key).toMatch(/^[A-Za-z0-9_-]{70,}$/);
  });

  it('refuses to work with the wrong master key', async () => {
    const wrong = createKeyring({ database: testDatabase.database, masterKey: randomBytes(32) });
    await expect(wrong.activeVersion()).rejects.toThrow(MasterKeyError);
    await expect(wrong.activeVersion()).rejects.toThrow(/wrapped by another master key/);
  });
});
