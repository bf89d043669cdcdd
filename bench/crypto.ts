// Envelope encryption cost: keyring seal/open operations per second, as a ratio to a plain
// AES-256-GCM encrypt/decrypt of the same payload measured in the same run.
//   npm run bench:crypto           (BENCH_SECONDS per measurement, default 2)
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createKeyring } from '../src/server/platform/crypto/keyring.ts';
import { openDatabase } from '../src/server/platform/db/open-database.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const payload = Buffer.from('xoxb-0123456789-0123456789012-abcdefghijklmnopqrstuvwx'); // a Slack-token-sized secret
const place = {
  table: 'integration_tokens',
  column: 'access_token',
  rowId: '0193b5a0-0000-7000-8000-000000000001',
  orgId: '0193b5a0-0000-7000-8000-000000000002',
};

async function rate(operation: () => unknown | Promise<unknown>): Promise<number> {
  for (let warm = 0; warm < 2000; warm++) await operation();
  let count = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < deadline) {
    for (let batch = 0; batch < 100; batch++) await operation();
    count += 100;
  }
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

const key = randomBytes(32);
const aad = Buffer.from(`${place.table}:${place.column}:${place.rowId}:${place.orgId}`);
const plainEncrypt = () => {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(payload), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
};
const sample = plainEncrypt();
const plainDecrypt = () => {
  const decipher = createDecipheriv('aes-256-gcm', key, sample.nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sample.tag);
  return Buffer.concat([decipher.update(sample.ciphertext), decipher.final()]);
};

const { database } = await openDatabase({ kind: 'pglite', dataDir: null }, { migrate: true });
try {
  const keyring = createKeyring({ database, masterKey: randomBytes(32) });
  const sealed = await keyring.seal(payload, place);
  const results = {
    plainEncrypt: await rate(plainEncrypt),
    seal: await rate(() => keyring.seal(payload, place)),
    plainDecrypt: await rate(plainDecrypt),
    open: await rate(() => keyring.open(sealed, place)),
  };
  console.log(`payload ${payload.length} bytes, ${seconds} s per measurement`);
  console.log(`plain AES-256-GCM encrypt  ${results.plainEncrypt.toFixed(0).padStart(9)} ops/s   1.00`);
  console.log(
    `keyring.seal               ${results.seal.toFixed(0).padStart(9)} ops/s   ${(results.seal / results.plainEncrypt).toFixed(2)}`,
  );
  console.log(`plain AES-256-GCM decrypt  ${results.plainDecrypt.toFixed(0).padStart(9)} ops/s   1.00`);
  console.log(
    `keyring.open               ${results.open.toFixed(0).padStart(9)} ops/s   ${(results.open / results.plainDecrypt).toFixed(2)}`,
  );
} finally {
  await database.close();
}
