import { getTableConfig } from 'drizzle-orm/pg-core';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { isSealed } from '../../../platform/crypto/keyring.ts';
import { sealedColumns } from '../../../platform/crypto/sealed-columns.ts';
import type { SessionTokens } from './session-cookies.ts';
import { ACCESS_TOKEN_LIFETIME_MS, RETIRED_KEY_VERIFY_MS, SIGNING_KEY_MAX_AGE_MS } from './session-lifetimes.ts';
import { sessionTables } from './session-tables.ts';
import { createSessionService } from './session-service.ts';
import { type SessionsTestServer, startSessionsTestServer } from './test-support/start-sessions-test-server.ts';

let server: SessionsTestServer;

beforeAll(async () => {
  server = await startSessionsTestServer();
});

afterAll(async () => {
  await server?.close();
});

async function signIn(userId: string): Promise<SessionTokens> {
  return (
    await server.vigil.app.inject({ method: 'POST', url: '/api/test/sign-in', payload: { userId } })
  ).json() as SessionTokens;
}

function me(accessToken: string) {
  return server.vigil.app.inject({
    method: 'GET',
    url: '/api/me/sessions',
    headers: { authorization: `Bearer ${accessToken}` },
  });
}

async function publishedKids(): Promise<string[]> {
  const response = await server.vigil.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  return (response.json() as { keys: { kid: string }[] }).keys.map((key) => key.kid);
}

describe(`access-token signing keys (${testDatabaseKind})`, () => {
  it('rotates: new tokens use the new key, old tokens stay valid until they expire, then the old key goes', async () => {
    const userId = await server.createUser();
    const before = await signIn(userId);
    const oldKid = decodeProtectedHeader(before.accessToken).kid as string;

    const rotation = await server.sessions.rotateSigningKey();
    expect(rotation.rotated).toBe(true);
    expect(rotation.activeKid).not.toBe(oldKid);
    const after = await signIn(userId);
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(rotation.activeKid);
    expect(await publishedKids()).toEqual(expect.arrayContaining([oldKid, rotation.activeKid]));
    expect((await me(before.accessToken)).statusCode).toBe(200);

    server.clock.advance(ACCESS_TOKEN_LIFETIME_MS + 60_000);
    expect((await me(before.accessToken)).statusCode).toBe(401);
    server.clock.advance(RETIRED_KEY_VERIFY_MS);
    expect(await publishedKids()).not.toContain(oldKid);
    // The next rotation deletes it, private key included.
    const next = await server.sessions.rotateSigningKey();
    expect(next.deletedKids).toContain(oldKid);
    const rows = await server.testDatabase.adminQuery('SELECT id FROM jwt_signing_keys WHERE id = $1', [oldKid]);
    expect(rows).toEqual([]);
  });

  it('sees a rotation done by another process as soon as a token names the new key', async () => {
    const userId = await server.createUser();
    await signIn(userId);
    // Another process (the CLI, another server) with its own caches rotates.
    const elsewhere = createSessionService({
      database: server.vigil.database,
      keyring: server.vigil.keyring,
      clock: server.clock,
      config: server.vigil.config,
    });
    const rotation = await elsewhere.rotateSigningKey();
    const issuedElsewhere = await elsewhere.startSession({ userId, amr: ['pwd'], ip: null, userAgent: null });
    expect(decodeProtectedHeader(issuedElsewhere.accessToken).kid).toBe(rotation.activeKid);
    server.clock.advance(2000);
    expect((await me(issuedElsewhere.accessToken)).statusCode).toBe(200);
  });

  it('rotates on the schedule only once the active key is 30 days old', async () => {
    const fresh = await server.sessions.rotateSigningKey();
    const notYet = await server.sessions.maintain();
    expect(notYet.rotatedSigningKey).toBe(false);
    server.clock.advance(SIGNING_KEY_MAX_AGE_MS);
    const due = await server.sessions.maintain();
    expect(due.rotatedSigningKey).toBe(true);
    const [active] = await server.testDatabase.adminQuery<{ id: string }>(
      'SELECT id FROM jwt_signing_keys WHERE retired_at IS NULL',
    );
    expect(active?.id).not.toBe(fresh.activeKid);
  });

  it('keeps private keys, CSRF tokens and successor copies sealed at rest', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    await server.vigil.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: tokens.refreshToken },
    });
    for (const column of sealedColumns.filter((entry) =>
      ['jwt_signing_keys', 'sessions', 'refresh_tokens'].includes(entry.table),
    )) {
      const values = await server.testDatabase.adminQuery<{ value: string | null }>(
        `SELECT "${column.column}" AS value FROM "${column.table}" WHERE "${column.column}" IS NOT NULL`,
      );
      expect(values.length, `${column.table}.${column.column}`).toBeGreaterThan(0);
      for (const { value } of values) expect(isSealed(value as string), `${column.table}.${column.column}`).toBe(true);
    }
  });

  it('declares exactly the columns and nullability migration 0004 creates', async () => {
    for (const table of Object.values(sessionTables)) {
      const config = getTableConfig(table);
      const columns = await server.testDatabase.adminQuery<{ column_name: string; is_nullable: string }>(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name",
        [config.name],
      );
      const declared = config.columns
        .map((column) => ({ name: column.name, nullable: !column.notNull }))
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(declared, config.name).toEqual(
        columns.map((column) => ({ name: column.column_name, nullable: column.is_nullable === 'YES' })),
      );
    }
  });
});
