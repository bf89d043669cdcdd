import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeSelfSignedCertificate } from '../../server/platform/http/self-signed-certificate.ts';
import type { CliCommand } from '../cli-command.ts';

export const devCertCommand: CliCommand = {
  name: 'dev-cert',
  summary: 'Make a self-signed certificate for trying HTTPS locally',
  help: [
    'Usage: vigil dev-cert [--out DIR]',
    '',
    'Writes cert.pem and key.pem (ECDSA P-256, localhost and 127.0.0.1, 30 days) into DIR',
    '(default <VIGIL_DATA_DIR>/tls) using openssl, and prints how to serve with them:',
    '  TLS_CERT=DIR/cert.pem TLS_KEY=DIR/key.pem HTTP_REDIRECT_PORT=8080 npm start',
    'Browsers will warn: it is self-signed. Never use it in production.',
  ].join('\n'),
  async run({ config, args, io }) {
    const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true });
    const directory = path.resolve(values.out ?? path.join(config.dataDir, 'tls'));
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const { certFile, keyFile } = writeSelfSignedCertificate({ directory });
    io.stdout.write(
      `Wrote ${certFile} and ${keyFile}.\nServe HTTPS with: TLS_CERT=${certFile} TLS_KEY=${keyFile} HTTP_REDIRECT_PORT=8080 npm start\n`,
    );
    return 0;
  },
};
