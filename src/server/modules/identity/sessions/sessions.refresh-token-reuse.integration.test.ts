// Threat: a stolen refresh token (from a log, a backup, malware, a shared device) used by the thief
// alongside its owner — or the same token spent twice in a race — to keep or fork a session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../../../../../test/helpers/test-database.ts';
import type { SessionTokens } from './session-cookies.ts';
import { REFRESH_REUSE_GRACE_MS } from './session-lifetimes.ts';
import { type SessionsTestServer, startSessionsTestServer } from './test-support/start-sessions-test-server.ts';

let server: SessionsTestServer;

beforeAll(async () => {
  server = await startSessionsTestServer();
});

afterAll(async () => {
  await server?.close();
});

async function signIn(userId: string): Promise<SessionTokens> {
  const response = await server.vigil.app.inject({ method: 'POST', url: '/api/test/sign-in', payload: { userId } });
  return response.json() as SessionTokens;
}

function refresh(refreshToken: string, headers: Record<string, string> = {}) {
  return server.vigil.app.inject({
    method: 'POST',
    url: '/api/auth/refresh',
    headers: { 'user-agent': 'thief-or-owner', ...headers },
    payload: { refreshToken },
  });
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

async function liveTokenCount(sessionId: string): Promise<number> {
  const [row] = await server.testDatabase.adminQuery<{ count: string }>(
    'SELECT count(*)::text AS count FROM refresh_tokens WHERE session_id = $1 AND used_at IS NULL',
    [sessionId],
  );
  return Number(row?.count);
}

describe(`refresh token reuse (${testDatabaseKind})`, () => {
  it('revokes the whole session, audits it and shows an alert when a used token comes back', async () => {
    const userId = await server.createUser();
    const stolen = await signIn(userId);
    // The owner refreshes as usual...
    server.clock.advance(60_000);
    const owner = (await refresh(stolen.refreshToken)).json() as SessionTokens;
    // ...and a minute later the thief replays the copy it took.
    server.clock.advance(60_000);
    const replay = await refresh(stolen.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().type).toBe('/problems/token-reuse-detected');

    // The family is dead: the owner's current tokens stop working too, so the thief's fork cannot live on.
    expect((await refresh(owner.refreshToken)).statusCode).toBe(401);
    const me = await server.vigil.app.inject({
      method: 'GET',
      url: '/api/me/sessions',
      headers: bearer(owner.accessToken),
    });
    expect(me.statusCode).toBe(401);

    const events = await server.testDatabase.adminQuery<{
      action: string;
      outcome: string;
      actor_user_id: string;
      target_id: string;
      metadata: Record<string, unknown>;
    }>(
      "SELECT action, outcome, actor_user_id, target_id, metadata FROM audit_events WHERE action = 'session.refresh_token_reused' AND target_id = $1",
      [stolen.sessionId],
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'denied', actor_user_id: userId });
    expect(events[0]?.metadata.secondsSinceFirstUse).toBe(60);
    expect(JSON.stringify(events[0])).not.toContain(stolen.refreshToken);

    // The owner signs in again and sees what happened on the security page.
    const fresh = await signIn(userId);
    const list = await server.vigil.app.inject({
      method: 'GET',
      url: '/api/me/sessions',
      headers: bearer(fresh.accessToken),
    });
    const body = list.json() as { items: { id: string }[]; alerts: { kind: string; sessionId: string }[] };
    expect(body.items.map((item) => item.id)).toEqual([fresh.sessionId]);
    expect(body.alerts).toEqual([
      expect.objectContaining({ kind: 'refresh_token_reuse', sessionId: stolen.sessionId }),
    ]);
  });

  it('lets two concurrent refreshes with one token mint exactly one successor (no fork)', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    const responses = await Promise.all([refresh(tokens.refreshToken), refresh(tokens.refreshToken)]);
    // Neither a 500 from a lost race nor a reuse verdict against the owner's own retry.
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200]);
    const succeeded = responses.filter((response) => response.statusCode === 200);
    // The first rotates; the second arrives within the grace window and gets the same successor
    // back (a network retry looks exactly like this). Never two different successors.
    const successors = new Set(succeeded.map((response) => (response.json() as SessionTokens).refreshToken));
    expect(successors.size).toBe(1);
    expect(await liveTokenCount(tokens.sessionId)).toBe(1);
    const [successor] = [...successors];
    expect(successor).not.toBe(tokens.refreshToken);
    expect((await refresh(successor as string)).statusCode).toBe(200);
  });

  it('serialises many concurrent refreshes with one token into a single rotation', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    const responses = await Promise.all(Array.from({ length: 8 }, () => refresh(tokens.refreshToken)));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(8).fill(200));
    const successors = new Set(
      responses.filter((response) => response.statusCode === 200).map((response) => response.json().refreshToken),
    );
    expect(successors.size).toBe(1);
    const [row] = await server.testDatabase.adminQuery<{ count: string }>(
      'SELECT count(*)::text AS count FROM refresh_tokens WHERE session_id = $1',
      [tokens.sessionId],
    );
    expect(Number(row?.count)).toBe(2);
  });

  it('gives only the immediate parent, within 10 s, the current token back', async () => {
    const userId = await server.createUser();
    const first = await signIn(userId);
    const second = (await refresh(first.refreshToken)).json() as SessionTokens;
    server.clock.advance(REFRESH_REUSE_GRACE_MS - 1000);
    const retried = await refresh(first.refreshToken);
    expect(retried.statusCode).toBe(200);
    const again = retried.json() as SessionTokens;
    expect(again.refreshToken).toBe(second.refreshToken);
    expect(again.sessionId).toBe(first.sessionId);
    expect(await liveTokenCount(first.sessionId)).toBe(1);
    // The current token still works as normal afterwards.
    expect((await refresh(second.refreshToken)).statusCode).toBe(200);
  });

  it('treats the parent after the grace window as reuse', async () => {
    const userId = await server.createUser();
    const first = await signIn(userId);
    const second = (await refresh(first.refreshToken)).json() as SessionTokens;
    server.clock.advance(REFRESH_REUSE_GRACE_MS + 1000);
    const late = await refresh(first.refreshToken);
    expect(late.json().type).toBe('/problems/token-reuse-detected');
    expect((await refresh(second.refreshToken)).statusCode).toBe(401);
  });

  it('treats a grandparent as reuse even within the grace window', async () => {
    const userId = await server.createUser();
    const first = await signIn(userId);
    const second = (await refresh(first.refreshToken)).json() as SessionTokens;
    const third = (await refresh(second.refreshToken)).json() as SessionTokens;
    const replay = await refresh(first.refreshToken);
    expect(replay.json().type).toBe('/problems/token-reuse-detected');
    expect((await refresh(third.refreshToken)).statusCode).toBe(401);
  });

  it('refuses unknown and malformed refresh tokens without touching any session', async () => {
    const userId = await server.createUser();
    const tokens = await signIn(userId);
    const forged = tokens.refreshToken.slice(0, -2) + (tokens.refreshToken.endsWith('AA') ? 'AB' : 'AA');
    expect((await refresh(forged)).statusCode).toBe(401);
    expect((await refresh('not-a-token')).statusCode).toBe(400);
    expect((await refresh(tokens.refreshToken)).statusCode).toBe(200);
  });

  it('keeps no recoverable copy of a live token once the grace window has passed', async () => {
    const userId = await server.createUser();
    const first = await signIn(userId);
    await refresh(first.refreshToken);
    const sealed = await server.testDatabase.adminQuery<{ successor_token: string | null }>(
      'SELECT successor_token FROM refresh_tokens WHERE session_id = $1 AND successor_token IS NOT NULL',
      [first.sessionId],
    );
    expect(sealed).toHaveLength(1);
    expect(sealed[0]?.successor_token).toMatch(/^vs1\./);
    server.clock.advance(REFRESH_REUSE_GRACE_MS + 1000);
    const maintenance = await server.sessions.maintain();
    expect(maintenance.clearedSuccessorCopies).toBeGreaterThanOrEqual(1);
    const left = await server.testDatabase.adminQuery(
      'SELECT id FROM refresh_tokens WHERE session_id = $1 AND successor_token IS NOT NULL',
      [first.sessionId],
    );
    expect(left).toEqual([]);
  });
});
