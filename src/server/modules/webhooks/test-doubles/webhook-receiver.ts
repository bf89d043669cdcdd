import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedWebhook = { headers: IncomingHttpHeaders; body: string; path: string; at: number };

/**
 * A local webhook receiver on 127.0.0.1 (reachable only through the test installation's allowlist
 * and http opt-in). `respond` decides each answer; by default 204.
 */
export async function startWebhookReceiver(
  respond: (request: ReceivedWebhook, response: ServerResponse) => unknown = (_request, response) => {
    response.writeHead(204).end();
  },
  options: { keepAliveTimeoutMs?: number } = {},
) {
  const received: ReceivedWebhook[] = [];
  let handler = respond;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        path: request.url ?? '/',
        at: Date.now(),
      };
      received.push(entry);
      void Promise.resolve(handler(entry, response)).catch(() => response.destroy());
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  // Short by default. Node's client takes the announced timeout less one second as the socket's
  // remaining life, so at 1 s it never reuses a connection: a test about reuse passes a longer one.
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    /** TCP connections accepted so far. */
    connections: () => connections,
    respondWith(next: typeof respond) {
      handler = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
