// Attack: server-side request forgery through a webhook URL. An org member points an endpoint at
// the cloud metadata service, the loopback interface or the private network — directly, through
// an IP spelling the filters miss (decimal, IPv4-mapped IPv6), a name resolving inward, a name
// that re-resolves inward after the check (DNS rebinding), or a public receiver redirecting
// inward. No socket may ever reach the internal target. These tests run without the http opt-in
// and without the installation allowlist, except where a case says why.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookTransport } from '../../src/server/modules/webhooks/send-webhook-request.ts';
import { startWebhookReceiver } from '../../src/server/modules/webhooks/test-doubles/webhook-receiver.ts';
import { parseCidrAllowlist } from '../../src/server/modules/webhooks/webhook-address-policy.ts';
import type { ResolveHost } from '../../src/server/modules/webhooks/webhook-url-policy.ts';
import { testDatabaseKind } from '../helpers/test-database.ts';
import {
  startWebhookTestServer,
  type WebhookTestServer,
} from '../../src/server/modules/webhooks/test-doubles/webhook-test-setup.ts';

/** The internal target: counts every TCP connection that reaches it. */
let internal: Server;
let internalPort = 0;
let connections = 0;

beforeAll(async () => {
  internal = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  internalPort = (internal.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => internal.close(() => resolve()));
});
beforeEach(() => {
  connections = 0;
});

const strictPolicy = (resolveHost: ResolveHost) => ({ allowHttp: false, allowlist: null, resolveHost });
const noDns: ResolveHost = async () => {
  throw Object.assign(new Error('no DNS in this test'), { code: 'ENOTFOUND' });
};
const body = JSON.stringify({ type: 'webhook.test' });

describe(`webhook SSRF (${testDatabaseKind})`, () => {
  it('refuses loopback, metadata, IPv4-mapped IPv6 and decimal/octal IP literals without connecting', async () => {
    const transport = createWebhookTransport({ policy: strictPolicy(noDns), timeoutMs: 1000 });
    try {
      for (const url of [
        `https://127.0.0.1:${internalPort}/`,
        `https://169.254.169.254/latest/meta-data/`,
        `https://[::ffff:127.0.0.1]:${internalPort}/`,
        `https://[::ffff:7f00:1]:${internalPort}/`,
        `https://2130706433:${internalPort}/`,
        `https://0177.0.0.1:${internalPort}/`,
        `https://0x7f.0.0.1:${internalPort}/`,
        `https://[::1]:${internalPort}/`,
        `https://[fd00:ec2::254]/`,
        `https://100.64.0.1/`,
        `https://0.0.0.0:${internalPort}/`,
      ]) {
        const result = await transport.send({ url, headers: {}, body });
        expect(result, url).toMatchObject({ kind: 'error', errorClass: 'blocked' });
      }
    } finally {
      transport.close();
    }
    expect(connections).toBe(0);
  });

  it('refuses a name that resolves to a private address (any of its addresses)', async () => {
    const resolveHost: ResolveHost = async (hostname) =>
      hostname === 'intranet.customer.test'
        ? [{ address: '10.0.3.7', family: 4 }]
        : [
            { address: '93.184.215.14', family: 4 },
            { address: '127.0.0.1', family: 4 },
          ];
    const transport = createWebhookTransport({ policy: strictPolicy(resolveHost), timeoutMs: 1000 });
    try {
      for (const url of [
        `https://intranet.customer.test:${internalPort}/`,
        `https://mixed.customer.test:${internalPort}/`,
      ]) {
        const result = await transport.send({ url, headers: {}, body });
        expect(result, url).toMatchObject({ kind: 'error', errorClass: 'blocked' });
      }
    } finally {
      transport.close();
    }
    expect(connections).toBe(0);
  });

  it('pins the connection to the checked address: a rebinding name cannot swap in loopback', async () => {
    // First answer public (passes the check), every later answer loopback. The connector must not
    // resolve again when it connects; it connects to the public address (which fails offline).
    let lookups = 0;
    const rebinding: ResolveHost = async () => {
      lookups += 1;
      return lookups === 1 ? [{ address: '192.0.43.10', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
    };
    const transport = createWebhookTransport({ policy: strictPolicy(rebinding), timeoutMs: 500 });
    try {
      const first = await transport.send({ url: `https://rebind.attacker.test:${internalPort}/`, headers: {}, body });
      expect(first.kind).toBe('error');
      expect(lookups).toBe(1);
      // The next delivery resolves afresh, sees loopback and refuses before connecting.
      const second = await transport.send({ url: `https://rebind.attacker.test:${internalPort}/`, headers: {}, body });
      expect(second).toMatchObject({ kind: 'error', errorClass: 'blocked' });
    } finally {
      transport.close();
    }
    expect(connections).toBe(0);
  });

  it('checks every connection it opens, and only the connection: a kept-alive socket is reused as checked', async () => {
    // The receiver must be local, so this case allowlists 127.0.0.1 and opts into http. The name
    // resolves to the receiver, then (rebinding) to the metadata address.
    const receiver = await startWebhookReceiver((_request, response) => response.writeHead(204).end(), {
      keepAliveTimeoutMs: 30_000,
    });
    let lookups = 0;
    const resolveHost: ResolveHost = async () => {
      lookups += 1;
      return lookups === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '169.254.169.254', family: 4 }];
    };
    const transport = createWebhookTransport({
      policy: { allowHttp: true, allowlist: parseCidrAllowlist(['127.0.0.1/32']), resolveHost },
      timeoutMs: 1000,
    });
    const url = receiver.url.replace('127.0.0.1', 'hooks.customer.test');
    try {
      for (let index = 0; index < 3; index++) {
        expect(await transport.send({ url, headers: {}, body })).toMatchObject({ kind: 'response', statusCode: 204 });
      }
      // One lookup per connection opened, none per request.
      expect(lookups).toBe(1);
      expect(receiver.connections()).toBe(1);
      // This answer ends the connection, so the next request needs a new one: it resolves and
      // checks again, and is refused.
      receiver.respondWith((_request, response) => response.writeHead(204, { connection: 'close' }).end());
      expect(await transport.send({ url, headers: {}, body })).toMatchObject({ kind: 'response', statusCode: 204 });

      expect(await transport.send({ url, headers: {}, body })).toMatchObject({
        kind: 'error',
        errorClass: 'blocked',
        message: expect.stringContaining('metadata address'),
      });
      expect(lookups).toBe(2);
      expect(receiver.connections()).toBe(1);
    } finally {
      transport.close();
      await receiver.close();
    }
  });

  it('never follows a redirect from a receiver to an internal address', async () => {
    // The "public" receiver has to run locally: this one case allowlists 127.0.0.1 (only the
    // receiver's address) and opts into http; the internal target listens on 127.0.0.2.
    const inner = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => inner.listen(0, '127.0.0.2', resolve));
    const innerPort = (inner.address() as AddressInfo).port;
    const receiver = await startWebhookReceiver((_request, response) =>
      response.writeHead(307, { location: `http://127.0.0.2:${innerPort}/` }).end(),
    );
    const transport = createWebhookTransport({
      policy: { allowHttp: true, allowlist: parseCidrAllowlist(['127.0.0.1/32']), resolveHost: noDns },
      timeoutMs: 1000,
    });
    try {
      const result = await transport.send({ url: receiver.url, headers: {}, body });
      expect(result).toMatchObject({ kind: 'response', statusCode: 307 });
      // Even allowlisted installations cannot be pointed at 127.0.0.2 or the metadata address.
      expect(await transport.send({ url: `http://127.0.0.2:${innerPort}/`, headers: {}, body })).toMatchObject({
        errorClass: 'blocked',
      });
    } finally {
      transport.close();
      await receiver.close();
      await new Promise<void>((resolve) => inner.close(() => resolve()));
    }
    expect(connections).toBe(0);
  });

  it('keeps the metadata address blocked even when the allowlist covers it', async () => {
    const transport = createWebhookTransport({
      policy: { allowHttp: true, allowlist: parseCidrAllowlist(['169.254.0.0/16', '0.0.0.0/0']), resolveHost: noDns },
      timeoutMs: 500,
    });
    try {
      for (const url of ['http://169.254.169.254/', 'http://[::ffff:169.254.169.254]/', 'http://2852039166/'])
        expect(await transport.send({ url, headers: {}, body }), url).toMatchObject({ errorClass: 'blocked' });
    } finally {
      transport.close();
    }
  });

  describe('through the API and the delivery job', () => {
    let t: WebhookTestServer;
    let lookups = 0;
    beforeAll(async () => {
      // No http opt-in, no allowlist: the production defaults.
      t = await startWebhookTestServer({
        environment: { VIGIL_WEBHOOK_ALLOW_HTTP: 'false', VIGIL_WEBHOOK_ALLOWED_CIDRS: '' },
        resolveHost: async () => {
          lookups += 1;
          return lookups === 1 ? [{ address: '192.0.43.10', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
        },
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('accepts a name that looks public at save, then blocks it at delivery when it turns internal', async () => {
      const created = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints`, {
        url: `https://rebind.attacker.test:${internalPort}/hook`,
        eventTypes: ['deal.created'],
      });
      expect(created.status, JSON.stringify(created.json())).toBe(201);
      const endpointId = (created.json().endpoint as { id: string }).id;
      const sent = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints/${endpointId}/test`);
      const { messageId } = sent.json() as { messageId: string };
      await t.drain();
      const detail = (
        await t.request('GET', `/api/orgs/${t.orgId}/webhooks/endpoints/${endpointId}/messages/${messageId}`)
      ).json();
      const [attempt] = detail.attemptLog as { errorClass: string; errorMessage: string }[];
      expect(attempt?.errorClass).toBe('blocked');
      expect(attempt?.errorMessage).toMatch(/127\.0\.0\.1/);
      expect(connections).toBe(0);
      // And http:// is refused outright without the development opt-in.
      const http = await t.request('POST', `/api/orgs/${t.orgId}/webhooks/endpoints`, {
        url: 'http://hooks.example.com/',
        eventTypes: ['deal.created'],
      });
      expect(http.status).toBe(400);
    });
  });
});
