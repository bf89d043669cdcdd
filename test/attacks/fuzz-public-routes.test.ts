// Threat: crafted input crashing a handler or the framework (a 5xx is a bug at best and a
// denial-of-service or information leak at worst). Random methods, paths, headers and bodies
// thrown at the server must always get a deliberate answer below 500.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/test-database.ts';
import { startTestVigil, type TestVigil } from '../helpers/test-vigil.ts';

let server: TestVigil;

beforeAll(async () => {
  server = await startTestVigil();
});

afterAll(async () => {
  await server?.close();
});

const knownPaths = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/api/status',
  '/api/openapi.json',
  '/api/orgs/{uuid}/deals',
  '/',
  '/assets/x.js',
];

const pathArbitrary = fc.oneof(
  fc.constantFrom(...knownPaths).map((path) => path.replace('{uuid}', '01929b6e-7c1a-7d3e-9a51-d3c0f0e4a001')),
  fc
    .tuple(fc.constantFrom(...knownPaths), fc.string({ maxLength: 40 }))
    .map(([path, suffix]) => `${path}${encodeURIComponent(suffix)}`),
  fc
    .array(
      fc.constantFrom(
        'api',
        'orgs',
        'deals',
        '..',
        '%2e%2e',
        '%00',
        'status',
        '{uuid}',
        ';',
        '%',
        '%ZZ',
        'a'.repeat(300),
      ),
      { maxLength: 6 },
    )
    .map((segments) => `/${segments.join('/')}`),
);
const queryArbitrary = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.constantFrom('limit', 'cursor', 'token', '__proto__', 'constructor', 'x[y]'),
      fc.string({ maxLength: 30 }),
    )
    .map((entries) => `?${new URLSearchParams(entries).toString()}`),
  fc.string({ maxLength: 30 }).map((raw) => `?${raw.replace(/#/g, '')}`),
);
const bodyArbitrary = fc.oneof(
  fc.constant(undefined),
  fc.json().map((json) => ({ contentType: 'application/json', payload: json })),
  fc.string({ maxLength: 200 }).map((text) => ({ contentType: 'application/json', payload: text })),
  fc.jsonValue({ maxDepth: 8 }).map((value) => ({
    contentType: 'application/json',
    payload: JSON.stringify({ __proto__: value, nested: { constructor: { prototype: value } } }),
  })),
  fc.string({ maxLength: 200 }).map((text) => ({
    contentType:
      fc.sample(
        fc.constantFrom(
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          'application/x-www-form-urlencoded',
          '',
          'application/jsonx',
        ),
        1,
      )[0] ?? 'text/plain',
    payload: text,
  })),
);
const headerArbitrary = fc.record(
  {
    'x-request-id': fc.string({ maxLength: 200 }),
    authorization: fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.constant('Bearer test-caller.!!!'),
      fc.constant('Bearer test-caller.e30'),
    ),
    accept: fc.constantFrom('*/*', 'application/json', 'text/html', ''),
    'if-none-match': fc.string({ maxLength: 20 }),
  },
  { requiredKeys: [] },
);

describe(`fuzzing the public surface (${testDatabaseKind})`, () => {
  it('never answers 5xx to 1,000 random requests', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
        pathArbitrary,
        queryArbitrary,
        headerArbitrary,
        bodyArbitrary,
        async (method, path, query, headers, body) => {
          const safeHeaders = Object.fromEntries(
            Object.entries(headers).filter(([, value]) => /^[\t\x20-\x7e]*$/.test(value)),
          ) as Record<string, string>;
          const response = await server.vigil.app.inject({
            method: method as 'GET',
            url: `${path}${query}`,
            headers: body ? { ...safeHeaders, 'content-type': body.contentType } : safeHeaders,
            ...(body && method !== 'GET' && method !== 'HEAD' ? { payload: body.payload } : {}),
          });
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          if (response.statusCode >= 500) {
            throw new Error(`${method} ${path}${query} → ${response.statusCode}: ${response.body.slice(0, 300)}`);
          }
          if (response.statusCode >= 400 && method !== 'HEAD') {
            expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          }
        },
      ),
      { numRuns: 1000, seed: 20261122 },
    );
    // The run must reach more than one kind of answer, or it tested nothing.
    expect(statuses.size).toBeGreaterThan(4);
  }, 120_000);
});
