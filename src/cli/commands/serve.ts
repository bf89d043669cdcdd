import { parseArgs } from 'node:util';
import { createVigil } from '../../server/main.ts';
import { DEMO_ACCOUNT } from '../../server/modules/organisations/seed-demo-organisation.ts';
import { type CliCommand, waitForShutdownSignal } from '../cli-command.ts';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve the HTTP API and web app (migrates first; runs a job worker in-process unless --no-worker)',
  help: [
    'Usage: vigil serve [--no-worker]',
    '',
    'Migrates the database, seeds the demo organisation (development), then serves the API and',
    'web app on HOST:PORT (default 127.0.0.1:3000). Stops gracefully on SIGINT/SIGTERM.',
    '',
    'Options:',
    '  --no-worker   do not run a job worker in this process (run `vigil worker` separately)',
    '',
    'Environment: PORT, HOST, VIGIL_DATA_DIR, DATABASE_URL, DATABASE_MIGRATION_URL, TLS_CERT,',
    'TLS_KEY, TRUST_PROXY, VIGIL_MASTER_KEY ... (docs/configuration.md)',
  ].join('\n'),
  async run({ config, args, io }) {
    const { values } = parseArgs({ args, options: { 'no-worker': { type: 'boolean', default: false } }, strict: true });
    const vigil = await createVigil({ config, worker: values['no-worker'] ? false : config.inProcessWorker });
    const address = await vigil.listen();
    const shown = address.replace('127.0.0.1', 'localhost');
    io.stdout.write(`Vigil ${config.version} (${config.profile}, ${vigil.database.kind}) listening on ${shown}\n`);
    if (config.demoSeed && config.profile === 'development') {
      io.stdout.write(`Demo sign-in: ${DEMO_ACCOUNT.email} / ${DEMO_ACCOUNT.password} (development only)\n`);
    }
    // SIGHUP: pick up renewed certificates without dropping connections.
    const onHangUp = () => vigil.reloadTls();
    process.on('SIGHUP', onHangUp);
    const signal = await waitForShutdownSignal();
    process.off('SIGHUP', onHangUp);
    vigil.logger.info({ signal }, 'shutting down');
    await vigil.close();
    return 0;
  },
};
