// Threat: a data key or master key that leaked, or an operator who cannot rotate one without
// downtime or data loss. Rotation must re-encrypt everything, survive a crash half-way, and leave
// every value readable — and only with the keys it should be readable with.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import type { MigrationConnection } from '../db/database.ts';
import { newId } from '../db/ids.ts';
import { createKeyring, sealedKeyVersion } from './keyring.ts';
import { MasterKeyError } from './master-key.ts';
import { rotateDataKeys, rotateMasterKey } from './rotate-data-keys.ts';

let testDatabase: TestDatabase;
let owner: MigrationConnection;
const masterKey = randomBytes(32);
const columns = [{ table: 'rotation_fixture', column: 'token', idColumn: 'id', orgColumn: 'org_id' }];
const placeOf = (row: { id: string; org_id: string }) => ({
  table: 'rotation_fixture',
  column: 'token',
  rowId: row.id,
  orgId: row.org_id,
});

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  owner = await testDatabase.ownerConnection();
  await owner.query(
    'CREATE TABLE rotation_fixture (org_id uuid NOT NULL, id uuid PRIMARY KEY, token text NOT NULL, plain text NOT NULL)',
  );
  const keyring = createKeyring({ database: testDatabase.database, masterKey });
  for (let index = 0; index < 25; index++) {
    const row = { id: newId(), org_id: newId() };
    const plain = `secret-${index}`;
    await owner.query('INSERT INTO rotation_fixture (org_id, id, token, plain) VALUES ($1, $2, $3, $4)', [
      row.org_id,
      row.id,
      await keyring.seal(plain, placeOf(row)),
      plain,
    ]);
  }
});

afterAll(async () => {
  await owner?.close();
  await testDatabase?.close();
});

async function expectEveryValueOpens(key: Buffer) {
  const keyring = createKeyring({ database: testDatabase.database, masterKey: key });
  const rows = await owner.query<{ id: string; org_id: string; token: string; plain: string }>(
    'SELECT * FROM rotation_fixture',
  );
  for (const row of rows) expect(await keyring.openText(row.token, placeOf(row))).toBe(row.plain);
  return rows;
}

describe(`key rotation (${testDatabaseKind})`, () => {
  it('re-encrypts under a new data key, resumes after a crash half-way, and destroys the old key', async () => {
    let batches = 0;
    await expect(
      rotateDataKeys({
        connection: owner,
        masterKey,
        columns,
        batchSize: 10,
        retireAfterMs: 0,
        onProgress: () => {
          batches += 1;
          if (batches === 1) throw new Error('simulated crash after the first batch');
        },
      }),
    ).rejects.toThrow(/simulated crash/);
    // Mid-rotation: some values under v1, some under v2 — all still open.
    const midway = await expectEveryValueOpens(masterKey);
    expect(new Set(midway.map((row) => sealedKeyVersion(row.token)))).toEqual(new Set([1, 2]));

    const result = await rotateDataKeys({ connection: owner, masterKey, columns, batchSize: 10, retireAfterMs: 0 });
    expect(result).toMatchObject({ newVersion: 2, retiredVersions: [1], resumed: true });
    const after = await expectEveryValueOpens(masterKey);
    expect(new Set(after.map((row) => sealedKeyVersion(row.token)))).toEqual(new Set([2]));
    const keys = await owner.query<{ version: number; state: string; wrapped_key: string | null }>(
      'SELECT version, state, wrapped_key FROM data_keys ORDER BY version',
    );
    expect(keys).toEqual([
      { version: 1, state: 'retired', wrapped_key: null },
      { version: 2, state: 'active', wrapped_key: expect.any(String) },
    ]);

    // Running again starts a fresh rotation (v3), it does not redo or break anything.
    const again = await rotateDataKeys({ connection: owner, masterKey, columns, retireAfterMs: 0 });
    expect(again).toMatchObject({ newVersion: 3, retiredVersions: [2], resumed: false, reEncrypted: 25 });
    await expectEveryValueOpens(masterKey);
  });

  it('waits out the servers key cache before retiring, then sweeps again', async () => {
    const waits: number[] = [];
    const result = await rotateDataKeys({
      connection: owner,
      masterKey,
      columns,
      retireAfterMs: 120_000,
      sleep: async (milliseconds) => {
        waits.push(milliseconds);
      },
    });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(100_000);
    expect(result.retiredVersions).toEqual([3]);
    await expectEveryValueOpens(masterKey);
  });

  it('re-wraps the data keys under a new master key, idempotently; the old master key then fails', async () => {
    const newMasterKey = randomBytes(32);
    const first = await rotateMasterKey({ connection: owner, oldMasterKey: masterKey, newMasterKey });
    expect(first.rewrapped).toBe(1);
    const second = await rotateMasterKey({ connection: owner, oldMasterKey: masterKey, newMasterKey });
    expect(second).toEqual({ rewrapped: 0, alreadyDone: 1 });
    await expectEveryValueOpens(newMasterKey);
    await expect(createKeyring({ database: testDatabase.database, masterKey }).activeVersion()).rejects.toThrow(
      MasterKeyError,
    );
    await expect(
      rotateMasterKey({ connection: owner, oldMasterKey: randomBytes(32), newMasterKey: randomBytes(32) }),
    ).rejects.toThrow(/neither/);
  });
});
