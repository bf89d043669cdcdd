import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import { SECURITY_HEADERS } from './security-headers.ts';

/**
 * TLS 1.2 with forward-secret AEAD suites only (TLS 1.3 suites are all modern and need no list).
 * Older protocol versions and CBC/RSA-key-exchange suites are refused at the handshake.
 */
export const TLS_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export function readTlsFiles(tls: { certFile: string; keyFile: string }): SecureContextOptions {
  return { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) };
}

/** Options for Fastify's HTTPS + HTTP/2 server (ALPN offers h2 and http/1.1). */
export function httpsServerOptions(tls: { certFile: string; keyFile: string }) {
  return {
    ...readTlsFiles(tls),
    minVersion: 'TLSv1.2' as const,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    allowHTTP1: true,
    maxHeaderSize: 16 * 1024,
  };
}

/**
 * A plain-HTTP listener that only redirects to HTTPS (308 keeps the method and body), so a
 * browser's first visit by `http://` still ends up on TLS and then gets HSTS.
 */
export function createHttpsRedirectServer(options: { httpsPort: number }): Server {
  return createServer((request, response) => {
    const hostHeader = request.headers.host ?? 'localhost';
    const hostname = hostHeader.startsWith('[')
      ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
      : hostHeader.split(':')[0];
    // Only a plain host name or address is echoed into the Location header.
    const safeHost = /^[A-Za-z0-9.\-[\]:]+$/.test(hostname ?? '') ? hostname : 'localhost';
    const port = options.httpsPort === 443 ? '' : `:${options.httpsPort}`;
    const location = `https://${safeHost}${port}${(request.url ?? '/').startsWith('/') ? request.url : '/'}`;
    response.writeHead(308, {
      ...SECURITY_HEADERS,
      location,
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
    });
    response.end(`Redirecting to ${location}\n`);
  });
}
