// Threat: one kind of response (an error, a static file, a 404, a rate-limit refusal) shipping
// without the headers that stop XSS, clickjacking, MIME sniffing and downgrade attacks. Every kind
// of response is graded the way Mozilla's HTTP Observatory grades a site and must score A+.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeHeaders } from '../helpers/observatory-grade.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';
import { startTestVigil, type TestVigil } from '../helpers/test-vigil.ts';

let server: TestVigil;

beforeAll(async () => {
  server = await startTestVigil({ environment: { TRUST_PROXY: '127.0.0.1' } });
});

afterAll(async () => {
  await server?.close();
});

describe(`security headers grade (${testDatabaseKind})`, () => {
  const kinds = [
    { name: 'API JSON', method: 'GET', url: '/api/status', status: 200 },
    { name: 'health probe', method: 'GET', url: '/healthz', status: 200 },
    { name: 'web app HTML', method: 'GET', url: '/some/page', status: 200 },
    { name: 'static asset', method: 'GET', url: '/assets/app-abc123.js', status: 200 },
    { name: 'security.txt', method: 'GET', url: '/.well-known/security.txt', status: 200 },
    { name: 'API 404', method: 'GET', url: '/api/missing', status: 404 },
    { name: '405', method: 'DELETE', url: '/api/status', status: 405 },
    { name: 'validation error', method: 'GET', url: '/api/orgs/not-a-uuid/deals', status: 400 },
    {
      name: 'unauthenticated',
      method: 'GET',
      url: '/api/orgs/01929b6e-7c1a-7d3e-9a51-d3c0f0e4a001/deals',
      status: 401,
    },
    { name: 'undecodable URL', method: 'GET', url: '/%ZZ', status: 400 },
  ] as const;

  for (const kind of kinds) {
    it(`grades A+ on ${kind.name} (${kind.status})`, async () => {
      const response = await server.vigil.app.inject({
        method: kind.method,
        url: kind.url,
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(response.statusCode).toBe(kind.status);
      const grade = gradeHeaders(response.headers, { https: true });
      expect({ grade: grade.grade, modifiers: grade.modifiers.filter((modifier) => modifier.startsWith('-')) }).toEqual(
        { grade: 'A+', modifiers: [] },
      );
    });
  }

  it('would fail a response without the headers (the grader can fail)', () => {
    expect(gradeHeaders({ 'content-type': 'text/html' }, { https: true }).grade).toBe('F');
    expect(
      gradeHeaders(
        { 'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'" },
        { https: true },
      ).grade,
    ).not.toBe('A+');
  });
});
