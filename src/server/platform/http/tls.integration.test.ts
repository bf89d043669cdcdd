// Threats: a downgrade to TLS 1.0/1.1 (known-broken protocol versions), a first visit over
// plain HTTP that never reaches TLS, and a browser that forgets to insist on HTTPS (HSTS).
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createVigil, type Vigil } from '../../main.ts';
import { writeSelfSignedCertificate } from './self-signed-certificate.ts';
import { createTestDatabase, type TestDatabase, testDatabaseKind } from '../../../../test/helpers/test-database.ts';
import { createLogCapture, TEST_STATIC_FILES } from '../../../../test/helpers/test-vigil.ts';

let directory: string;
let testDatabase: TestDatabase;
let vigil: Vigil;
let httpsPort: number;
let redirectPort: number;

function makeCertificate(name: string) {
  writeSelfSignedCertificate({ directory, commonName: name, days: 1 });
}

function handshake(
  version: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3',
  port = httpsPort,
): Promise<{ ok: boolean; protocol: string | null; subject?: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect(
      {
        host: '127.0.0.1',
        port,
        minVersion: version,
        maxVersion: version,
        rejectUnauthorized: false,
        ciphers: 'DEFAULT:@SECLEVEL=0',
      },
      () => {
        resolve({
          ok: true,
          protocol: socket.getProtocol(),
          subject: socket.getPeerCertificate().subject?.CN as string,
        });
        socket.end();
      },
    );
    socket.on('error', (error) => {
      if (process.env.DEBUG_TLS) console.log('handshake error', version, error.message);
      resolve({ ok: false, protocol: null });
    });
  });
}

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'vigil-tls-'));
  makeCertificate('first');
  testDatabase = await createTestDatabase();
  const probe = (await import('node:net')).createServer();
  redirectPort = await new Promise<number>((resolve) =>
    probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)),
  );
  await new Promise((resolve) => probe.close(resolve));
  vigil = await createVigil({
    config: loadConfig({
      VIGIL_PROFILE: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      TLS_CERT: path.join(directory, 'cert.pem'),
      TLS_KEY: path.join(directory, 'key.pem'),
      HTTP_REDIRECT_PORT: String(redirectPort),
    }),
    database: testDatabase.database,
    logDestination: createLogCapture().stream,
    worker: false,
    staticFiles: TEST_STATIC_FILES,
  });
  const address = await vigil.listen();
  httpsPort = Number(new URL(address).port);
});

afterAll(async () => {
  await vigil?.close();
  await testDatabase?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe(`HTTPS listener (${testDatabaseKind})`, () => {
  it('refuses TLS 1.0 and 1.1 handshakes and accepts 1.2 and 1.3', async () => {
    // Control: this client can speak TLS 1.0/1.1 to a server that allows them, so the refusals
    // below come from Vigil's server, not from the client's own policy.
    const { createServer } = await import('node:tls');
    const { readFileSync } = await import('node:fs');
    const permissive = createServer(
      {
        key: readFileSync(path.join(directory, 'key.pem')),
        cert: readFileSync(path.join(directory, 'cert.pem')),
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT:@SECLEVEL=0',
      },
      (socket) => socket.end(),
    );
    const controlPort = await new Promise<number>((resolve) =>
      permissive.listen(0, '127.0.0.1', () => resolve((permissive.address() as { port: number }).port)),
    );
    try {
      expect(await handshake('TLSv1', controlPort)).toMatchObject({ ok: true, protocol: 'TLSv1' });
      expect(await handshake('TLSv1.1', controlPort)).toMatchObject({ ok: true, protocol: 'TLSv1.1' });
    } finally {
      await new Promise((resolve) => permissive.close(resolve));
    }
    expect((await handshake('TLSv1')).ok).toBe(false);
    expect((await handshake('TLSv1.1')).ok).toBe(false);
    expect(await handshake('TLSv1.2')).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
    expect(await handshake('TLSv1.3')).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });

  it('sends HSTS on HTTPS responses, over HTTP/1.1 and HTTP/2', async () => {
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/healthz', rejectUnauthorized: false }, (response) => {
        response.resume();
        resolve(response.headers);
      })
        .on('error', reject)
        .end();
    });
    expect(headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    const session = http2Connect(`https://127.0.0.1:${httpsPort}`, { rejectUnauthorized: false });
    const h2Headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const stream = session.request({ ':path': '/healthz' });
      stream.on('response', (responseHeaders) => {
        stream.resume();
        resolve(responseHeaders);
      });
      stream.on('error', reject);
    });
    session.close();
    expect(h2Headers[':status']).toBe(200);
    expect(h2Headers['strict-transport-security']).toMatch(/max-age=/);
  });

  it('redirects plain HTTP to HTTPS with 308, keeping the path', async () => {
    const response = await new Promise<{ status: number; location: string | undefined; csp: unknown }>(
      (resolve, reject) => {
        httpRequest(
          { host: '127.0.0.1', port: redirectPort, path: '/status?x=1', headers: { host: 'localhost' } },
          (incoming) => {
            incoming.resume();
            resolve({
              status: incoming.statusCode ?? 0,
              location: incoming.headers.location,
              csp: incoming.headers['content-security-policy'],
            });
          },
        )
          .on('error', reject)
          .end();
      },
    );
    expect(response).toMatchObject({ status: 308, location: `https://localhost:${httpsPort}/status?x=1` });
    expect(response.csp).toBeTruthy();
  });

  it('reloads the certificate without restarting (SIGHUP)', async () => {
    expect((await handshake('TLSv1.3')).subject).toBe('first');
    makeCertificate('second');
    vigil.reloadTls();
    expect((await handshake('TLSv1.3')).subject).toBe('second');
  });
});
