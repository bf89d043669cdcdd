import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Writes `cert.pem` and `key.pem` (ECDSA P-256, for localhost and 127.0.0.1) into `directory`
 * with openssl: `vigil dev-cert`, the TLS tests and the edge bench. Never for production.
 */
export function writeSelfSignedCertificate(options: { directory: string; commonName?: string; days?: number }): {
  certFile: string;
  keyFile: string;
} {
  const certFile = path.join(options.directory, 'cert.pem');
  const keyFile = path.join(options.directory, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      String(options.days ?? 30),
      '-subj',
      `/CN=${options.commonName ?? 'localhost'}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}
