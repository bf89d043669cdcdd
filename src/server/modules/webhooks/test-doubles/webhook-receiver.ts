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
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
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
