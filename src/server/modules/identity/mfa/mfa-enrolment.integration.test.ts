// TOTP enrolment as a user does it with an authenticator app: the secret is sealed at rest, the
// recovery codes are shown once and stored only as keyed hashes, other sessions end, and turning
// MFA off or replacing the codes needs a fresh code.
import { getTableConfig } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import { isSealed } from '../../../platform/crypto/keyring.ts';
import { notSecretColumns, sealedColumns } from '../../../platform/crypto/sealed-columns.ts';
import { mfaTables } from './mfa-tables.ts';
import { totpSecretPlace } from './seal-places.ts';
import { type MfaTestServer, startMfaTestServer } from './test-doubles/start-mfa-test-server.ts';

let server: MfaTestServer;

beforeAll(async () => {
  server = await startMfaTestServer();
});

afterAll(async () => {
  await server?.close();
});

/** Every row of every table as text: what a database dump would show. */
async function databaseDump(): Promise<string> {
  const tables = await server.testDatabase.adminQuery<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await server.testDatabase.adminQuery<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
    parts.push(...rows.map((row) => `${table_name}: ${row.row}`));
  }
  return parts.join('\n');
}

describe(`TOTP enrolment (${testDatabaseKind})`, () => {
  it('declares drizzle tables matching migration 0005', async () => {
    for (const table of Object.values(mfaTables)) {
      const config = getTableConfig(table);
      const columns = await server.testDatabase.adminQuery<{ column_name: string; is_nullable: string }>(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name",
        [config.name],
      );
      expect(
        config.columns
          .map((column) => ({ name: column.name, nullable: !column.notNull }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        config.name,
      ).toEqual(columns.map((column) => ({ name: column.column_name, nullable: column.is_nullable === 'YES' })));
    }
  });

  it('registers the sealed secret columns and the hash columns', () => {
    const sealed = sealedColumns.map((column) => `${column.table}.${column.column}`);
    expect(sealed).toEqual(expect.arrayContaining(['mfa_totp.secret_sealed', 'mfa_totp.recovery_code_key_sealed']));
    expect(notSecretColumns['recovery_codes.code_hash']).toBeDefined();
    expect(notSecretColumns['mfa_challenges.token_hash']).toBeDefined();
  });

  it('enrols with a QR code, confirms with a code, and returns recovery codes once', async () => {
    const user = await server.createUser();
    const current = await server.fake.signIn(user.id);
    const other = await server.fake.signIn(user.id);

    const started = await server.inject({ method: 'POST', url: '/api/me/mfa/totp', headers: current.headers });
    expect(started.statusCode).toBe(201);
    const enrolment = started.json<{
      otpauthUri: string;
      qrDataUrl: string;
      secretBase32: string;
      accountName: string;
    }>();
    expect(enrolment.otpauthUri).toMatch(
      /^otpauth:\/\/totp\/Vigil:.*secret=[A-Z2-7]+.*algorithm=SHA1&digits=6&period=30/,
    );
    expect(enrolment.accountName).toBe(user.email);
    expect(enrolment.qrDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
    const svg = Buffer.from(enrolment.qrDataUrl.split(',')[1] as string, 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|on\w+=/i);

    // Pending is not MFA: sign-in would not ask for a code yet.
    expect(await server.secondFactor.required(user.id)).toEqual({ required: false, enrolled: false });
    const pendingStatus = await server.inject({ method: 'GET', url: '/api/me/mfa', headers: current.headers });
    expect(pendingStatus.json()).toMatchObject({ totp: 'pending', recoveryCodesRemaining: 0 });

    const wrong = await server.inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers: current.headers,
      payload: { code: '000000' === server.codeFor(enrolment.secretBase32) ? '111111' : '000000' },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().type).toBe('/problems/invalid-mfa-code');

    const confirmed = await server.inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers: current.headers,
      // As typed from an app that groups digits.
      payload: { code: server.codeFor(enrolment.secretBase32).replace(/^(\d{3})/, '$1 ') },
    });
    expect(confirmed.statusCode).toBe(200);
    const body = confirmed.json<{ recoveryCodes: string[]; session: { accessToken: string } }>();
    expect(body.recoveryCodes).toHaveLength(10);
    expect(new Set(body.recoveryCodes).size).toBe(10);
    expect(confirmed.headers['set-cookie']).toMatch(/vigil_access=.*HttpOnly/i);

    // MFA change: every other session ended, this one re-issued with otp.
    expect(server.fake.revocations.at(-1)).toEqual({
      userId: user.id,
      exceptSessionId: current.tokens.sessionId,
      reason: 'mfa.enrolled',
    });
    expect(server.fake.sessions.get(other.tokens.sessionId)?.revoked).toBe(true);
    expect(server.fake.sessions.get(current.tokens.sessionId)?.amr).toEqual(['pwd', 'otp']);
    expect(server.fake.recorded).toContain(current.tokens.sessionId);

    expect(await server.secondFactor.required(user.id)).toEqual({ required: true, enrolled: true });
    const status = await server.inject({
      method: 'GET',
      url: '/api/me/mfa',
      headers: server.fake.bearer(body.session),
    });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ totp: 'on', recoveryCodesRemaining: 10, required: false });
    // Shown once: no route returns them again.
    for (const code of body.recoveryCodes) expect(status.body).not.toContain(code);

    // At rest: the secret is a sealed value bound to its row; neither it nor any recovery code
    // appears anywhere in the database in plaintext (nor normalised).
    const [row] = await server.testDatabase.adminQuery<{ secret_sealed: string }>(
      'SELECT secret_sealed FROM mfa_totp WHERE user_id = $1',
      [user.id],
    );
    expect(isSealed(row?.secret_sealed ?? '')).toBe(true);
    expect(await server.keyring.openText(row?.secret_sealed ?? '', totpSecretPlace(user.id))).toBe(
      enrolment.secretBase32,
    );
    const dump = await databaseDump();
    expect(dump).toContain(user.id);
    expect(dump).not.toContain(enrolment.secretBase32);
    expect(dump.toLowerCase()).not.toContain(enrolment.secretBase32.toLowerCase());
    for (const code of body.recoveryCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replaceAll('-', ''));
    }
    const hashes = await server.testDatabase.adminQuery<{ code_hash: string }>(
      'SELECT code_hash FROM recovery_codes WHERE user_id = $1',
      [user.id],
    );
    expect(hashes).toHaveLength(10);
    for (const { code_hash } of hashes) expect(code_hash).toMatch(/^[0-9a-f]{64}$/);

    // And never in the logs.
    const logs = server.logs.text();
    expect(logs).not.toContain(enrolment.secretBase32);
    for (const code of body.recoveryCodes) expect(logs).not.toContain(code);

    const events = await server.testDatabase.adminQuery<{ action: string; outcome: string; actor_user_id: string }>(
      "SELECT action, outcome, actor_user_id FROM audit_events WHERE action LIKE 'mfa.%' AND actor_user_id = $1 ORDER BY seq",
      [user.id],
    );
    expect(events.map((event) => `${event.action}:${event.outcome}`)).toEqual([
      'mfa.enrolment_started:success',
      'mfa.enrolled:failure',
      'mfa.enrolled:success',
    ]);
  });

  it('refuses to replace a confirmed authenticator by enrolling again', async () => {
    const { headers, secretBase32 } = await server.enrolUser();
    const again = await server.inject({ method: 'POST', url: '/api/me/mfa/totp', headers });
    expect(again.statusCode).toBe(409);
    const confirm = await server.inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers,
      payload: { code: server.codeFor(secretBase32) },
    });
    expect(confirm.statusCode).toBe(409);
  });

  it('restarting a pending enrolment replaces its secret: the old one no longer confirms', async () => {
    const user = await server.createUser();
    const { headers } = await server.fake.signIn(user.id);
    const first = (await server.inject({ method: 'POST', url: '/api/me/mfa/totp', headers })).json<{
      secretBase32: string;
    }>();
    const second = (await server.inject({ method: 'POST', url: '/api/me/mfa/totp', headers })).json<{
      secretBase32: string;
    }>();
    expect(second.secretBase32).not.toBe(first.secretBase32);
    const stale = await server.inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers,
      payload: { code: server.codeFor(first.secretBase32) },
    });
    if (server.codeFor(first.secretBase32) !== server.codeFor(second.secretBase32)) {
      expect(stale.statusCode).toBe(400);
    }
    const fresh = await server.inject({
      method: 'POST',
      url: '/api/me/mfa/totp/confirm',
      headers,
      payload: { code: server.codeFor(second.secretBase32) },
    });
    expect(fresh.statusCode).toBe(200);
  });

  it('turns MFA off only with a step-up, deleting the secret and codes and ending other sessions', async () => {
    const { user, headers, secretBase32 } = await server.enrolUser();
    const other = await server.fake.signIn(user.id, ['pwd', 'otp']);
    // The confirmation 30 s ago counts as a second factor: move past the 10-minute window.
    server.clock.advance(11 * 60_000);
    const refused = await server.inject({ method: 'DELETE', url: '/api/me/mfa/totp', headers });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toBe('/problems/step-up-required');

    const stepUp = await server.inject({
      method: 'POST',
      url: '/api/auth/step-up',
      headers,
      payload: { code: server.codeFor(secretBase32) },
    });
    expect(stepUp.statusCode).toBe(200);
    const stepped = server.fake.bearer(stepUp.json<{ accessToken: string }>());
    const disabled = await server.inject({ method: 'DELETE', url: '/api/me/mfa/totp', headers: stepped });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ totp: 'off', recoveryCodesRemaining: 0 });
    expect(await server.secondFactor.required(user.id)).toEqual({ required: false, enrolled: false });
    expect(
      await server.testDatabase.adminQuery('SELECT 1 FROM recovery_codes WHERE user_id = $1', [user.id]),
    ).toHaveLength(0);
    expect(server.fake.sessions.get(other.tokens.sessionId)?.revoked).toBe(true);
    expect(server.fake.revocations.at(-1)?.reason).toBe('mfa.disabled');

    const again = await server.inject({ method: 'DELETE', url: '/api/me/mfa/totp', headers: stepped });
    expect(again.statusCode).toBe(409);
    const events = await server.testDatabase.adminQuery<{ action: string; outcome: string }>(
      "SELECT action, outcome FROM audit_events WHERE action = 'mfa.disabled' AND actor_user_id = $1 ORDER BY seq",
      [user.id],
    );
    expect(events.map((event) => event.outcome)).toEqual(['denied', 'success', 'failure']);
  });

  it('signs a platform admin out everywhere when they turn MFA off (the next sign-in must enrol)', async () => {
    const { user, headers, secretBase32 } = await server.enrolUser({ platformAdmin: true });
    const stepUp = await server.inject({
      method: 'POST',
      url: '/api/auth/step-up',
      headers,
      payload: { code: server.codeFor(secretBase32) },
    });
    const stepped = server.fake.bearer(stepUp.json<{ accessToken: string }>());
    const disabled = await server.inject({ method: 'DELETE', url: '/api/me/mfa/totp', headers: stepped });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ totp: 'off', required: true });
    expect(server.fake.revocations.at(-1)).toEqual({ userId: user.id, exceptSessionId: null, reason: 'mfa.disabled' });
    expect(await server.secondFactor.required(user.id)).toEqual({ required: true, enrolled: false });
  });

  it('regenerates recovery codes only with a step-up; the old ones stop working', async () => {
    const { user, headers, recoveryCodes, secretBase32 } = await server.enrolUser();
    server.clock.advance(11 * 60_000);
    const refused = await server.inject({ method: 'POST', url: '/api/me/mfa/recovery-codes', headers });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().type).toBe('/problems/step-up-required');

    const stepUp = await server.inject({
      method: 'POST',
      url: '/api/auth/step-up',
      headers,
      payload: { code: server.codeFor(secretBase32) },
    });
    const stepped = server.fake.bearer(stepUp.json<{ accessToken: string }>());
    const regenerated = await server.inject({ method: 'POST', url: '/api/me/mfa/recovery-codes', headers: stepped });
    expect(regenerated.statusCode).toBe(200);
    const fresh = regenerated.json<{ recoveryCodes: string[] }>().recoveryCodes;
    expect(fresh).toHaveLength(10);
    expect(fresh.some((code) => recoveryCodes.includes(code))).toBe(false);

    const { challengeToken: oldChallenge } = await server.secondFactor.createChallenge({
      userId: user.id,
      ip: null,
      userAgent: null,
    });
    const old = await server.inject({
      method: 'POST',
      url: '/api/auth/mfa/verify',
      payload: { challengeToken: oldChallenge, recoveryCode: recoveryCodes[0] },
    });
    expect(old.statusCode).toBe(400);
    const current = await server.inject({
      method: 'POST',
      url: '/api/auth/mfa/verify',
      payload: { challengeToken: oldChallenge, recoveryCode: fresh[0] },
    });
    expect(current.statusCode).toBe(200);
    expect(current.json().recoveryCodesRemaining).toBe(9);
    const events = await server.testDatabase.adminQuery<{ action: string }>(
      "SELECT action FROM audit_events WHERE action = 'mfa.recovery_codes_regenerated' AND outcome = 'success' AND actor_user_id = $1",
      [user.id],
    );
    expect(events).toHaveLength(1);
  });

  it('needs a signed-in caller for every /api/me/mfa route', async () => {
    for (const [method, url] of [
      ['GET', '/api/me/mfa'],
      ['POST', '/api/me/mfa/totp'],
      ['POST', '/api/me/mfa/totp/confirm'],
      ['DELETE', '/api/me/mfa/totp'],
      ['POST', '/api/me/mfa/recovery-codes'],
      ['POST', '/api/auth/step-up'],
    ] as const) {
      const response = await server.inject({
        method,
        url,
        ...(method === 'POST'
          ? { payload: url.endsWith('confirm') || url.endsWith('step-up') ? { code: '123456' } : {} }
          : {}),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('documents every MFA route in the OpenAPI document', async () => {
    const response = await server.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys(response.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/me/mfa',
        '/api/me/mfa/totp',
        '/api/me/mfa/totp/confirm',
        '/api/me/mfa/recovery-codes',
        '/api/auth/mfa/verify',
        '/api/auth/mfa/enrol',
        '/api/auth/mfa/enrol/confirm',
        '/api/auth/step-up',
      ]),
    );
  });
});
