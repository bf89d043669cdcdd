import { randomBytes } from 'node:crypto';
import type { MigrationConnection } from '../db/database.ts';
import { KEY_BYTES } from './aes-gcm.ts';
import { dataKeyAad, openWithKey, SealError, sealWithKey } from './keyring.ts';
import { MasterKeyError, masterKeyFingerprint, unwrapKey, wrapKey } from './master-key.ts';
import { type SealedColumn, sealedColumns } from './sealed-columns.ts';

type Query = MigrationConnection['query'];
type DataKeyRow = {
  version: number;
  state: 'active' | 'retiring' | 'retired';
  wrapped_key: string | null;
  kek_fingerprint: string;
};

export type RotationProgress = { column: string; reEncrypted: number };
export type RotationResult = { newVersion: number; retiredVersions: number[]; reEncrypted: number; resumed: boolean };

function quoteIdentifier(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`unsafe identifier ${identifier}`);
  return `"${identifier}"`;
}

async function readKeys(
  query: Query,
  masterKey: Buffer,
): Promise<{ rows: DataKeyRow[]; unwrapped: Map<number, Buffer> }> {
  const rows = await query<DataKeyRow>(
    'SELECT version, state, wrapped_key, kek_fingerprint FROM data_keys ORDER BY version',
  );
  const fingerprint = masterKeyFingerprint(masterKey);
  const unwrapped = new Map<number, Buffer>();
  for (const row of rows) {
    if (row.state === 'retired' || !row.wrapped_key) continue;
    if (row.kek_fingerprint !== fingerprint) {
      throw new MasterKeyError(
        `data key v${row.version} is wrapped by another master key (${row.kek_fingerprint}); finish \`vigil keys rotate --master\` first`,
      );
    }
    unwrapped.set(row.version, unwrapKey(masterKey, row.wrapped_key, dataKeyAad(row.version)));
  }
  return { rows, unwrapped };
}

/**
 * Rotates the data key: adds a new active version, re-encrypts every sealed value still under
 * an older version in batches (each row by compare-and-swap, so it is safe while servers keep
 * writing), then retires the old versions and destroys their key material. Old versions keep
 * decrypting until the end, so the service runs throughout. Idempotent and resumable: a crash
 * leaves a `retiring` version, and the next run carries on from there instead of adding another.
 */
export async function rotateDataKeys(options: {
  connection: MigrationConnection;
  masterKey: Buffer;
  columns?: readonly SealedColumn[];
  batchSize?: number;
  onProgress?: (progress: RotationProgress) => void | Promise<void>;
  now?: () => Date;
  /**
   * Servers cache the active key version for up to a minute (keyring cacheMs), so one may still
   * seal with the old version shortly after the new one appears. Old versions are retired only
   * once this long has passed since the new version was created, after a final sweep.
   */
  retireAfterMs?: number;
  sleep?: (milliseconds: number) => Promise<void>;
}): Promise<RotationResult> {
  const { connection, masterKey } = options;
  const columns = options.columns ?? sealedColumns;
  const batchSize = options.batchSize ?? 500;
  const now = options.now ?? (() => new Date());
  const fingerprint = masterKeyFingerprint(masterKey);

  let { rows, unwrapped } = await readKeys(connection.query, masterKey);
  const resumed = rows.some((row) => row.state === 'retiring');
  if (!resumed) {
    const newVersion = Math.max(0, ...rows.map((row) => row.version)) + 1;
    await connection.inTransaction(async (query) => {
      await query("UPDATE data_keys SET state = 'retiring' WHERE state = 'active'");
      await query(
        "INSERT INTO data_keys (version, state, wrapped_key, kek_fingerprint, created_at) VALUES ($1, 'active', $2, $3, $4)",
        [
          newVersion,
          wrapKey(masterKey, randomBytes(KEY_BYTES), dataKeyAad(newVersion)),
          fingerprint,
          now().toISOString(),
        ],
      );
    });
    ({ rows, unwrapped } = await readKeys(connection.query, masterKey));
  }
  const active = rows.find((row) => row.state === 'active');
  if (!active) throw new SealError('no active data key');
  const retireAfterMs = options.retireAfterMs ?? 120_000;
  const sleep =
    options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const [created] = await connection.query<{ created_at: Date | string }>(
    'SELECT created_at FROM data_keys WHERE version = $1',
    [active.version],
  );
  const activeKey = unwrapped.get(active.version) as Buffer;
  const retiring = rows.filter((row) => row.state === 'retiring').map((row) => row.version);

  let reEncrypted = 0;
  const sweep = async () => {
    for (const column of columns) {
      const table = quoteIdentifier(column.table);
      const value = quoteIdentifier(column.column);
      const id = quoteIdentifier(column.idColumn);
      const org = column.orgColumn ? quoteIdentifier(column.orgColumn) : 'NULL';
      for (const version of retiring) {
        for (;;) {
          const batch = await connection.query<{ id: string; org: string | null; value: string }>(
            `SELECT ${id}::text AS id, ${org}::text AS org, ${value} AS value FROM ${table} WHERE ${value} LIKE $1 LIMIT $2`,
            [`vs1.${version}.%`, batchSize],
          );
          if (batch.length === 0) break;
          for (const row of batch) {
            const place = { table: column.table, column: column.column, rowId: row.id, orgId: row.org };
            const plaintext = openWithKey(row.value, place, (wanted) => unwrapped.get(wanted));
            const resealed = sealWithKey(active.version, activeKey, plaintext, place);
            // Compare-and-swap: a value a server replaced meanwhile is left alone (it is new).
            await connection.query(`UPDATE ${table} SET ${value} = $1 WHERE ${id}::text = $2 AND ${value} = $3`, [
              resealed,
              row.id,
              row.value,
            ]);
            reEncrypted += 1;
          }
          await options.onProgress?.({ column: `${column.table}.${column.column}`, reEncrypted });
        }
      }
    }
  };
  await sweep();
  if (retiring.length > 0) {
    const waitMs = new Date(created?.created_at ?? now()).getTime() + retireAfterMs - now().getTime();
    if (waitMs > 0) {
      await sleep(waitMs);
      await sweep();
    }
  }

  // Nothing refers to the retiring versions any more: destroy their key material.
  if (retiring.length > 0) {
    await connection.query(
      "UPDATE data_keys SET state = 'retired', wrapped_key = NULL, retired_at = $1 WHERE state = 'retiring'",
      [now().toISOString()],
    );
  }
  return { newVersion: active.version, retiredVersions: retiring, reEncrypted, resumed };
}

/**
 * Re-wraps every live data key under a new master key. Row by row and idempotent: a key already
 * wrapped by the new master key (fingerprint) is skipped, so a crashed run is simply run again.
 * Afterwards, switch VIGIL_MASTER_KEY to the new key.
 */
export async function rotateMasterKey(options: {
  connection: MigrationConnection;
  oldMasterKey: Buffer;
  newMasterKey: Buffer;
}): Promise<{ rewrapped: number; alreadyDone: number }> {
  const oldFingerprint = masterKeyFingerprint(options.oldMasterKey);
  const newFingerprint = masterKeyFingerprint(options.newMasterKey);
  if (oldFingerprint === newFingerprint) throw new MasterKeyError('the new master key is the same as the current one');
  const rows = await options.connection.query<DataKeyRow>(
    "SELECT version, state, wrapped_key, kek_fingerprint FROM data_keys WHERE state <> 'retired' ORDER BY version",
  );
  let rewrapped = 0;
  let alreadyDone = 0;
  for (const row of rows) {
    if (row.kek_fingerprint === newFingerprint) {
      alreadyDone += 1;
      continue;
    }
    if (row.kek_fingerprint !== oldFingerprint) {
      throw new MasterKeyError(
        `data key v${row.version} is wrapped by neither the current nor the new master key (${row.kek_fingerprint})`,
      );
    }
    const key = unwrapKey(options.oldMasterKey, row.wrapped_key as string, dataKeyAad(row.version));
    await options.connection.query(
      'UPDATE data_keys SET wrapped_key = $1, kek_fingerprint = $2 WHERE version = $3 AND kek_fingerprint = $4',
      [wrapKey(options.newMasterKey, key, dataKeyAad(row.version)), newFingerprint, row.version, oldFingerprint],
    );
    rewrapped += 1;
  }
  return { rewrapped, alreadyDone };
}
