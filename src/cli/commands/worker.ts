import { createVigilWorker } from '../../server/worker.ts';
import { type CliCommand, waitForShutdownSignal } from '../cli-command.ts';

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'Run a background job worker (any number can run side by side)',
  help: [
    'Usage: vigil worker',
    '',
    'Claims and runs background jobs from the database until SIGINT/SIGTERM, then finishes the',
    'jobs in hand and exits. Workers claim with FOR UPDATE SKIP LOCKED, so run as many as you',
    'like. Does not migrate: run `vigil migrate` (or a server) first.',
  ].join('\n'),
  async run({ config, io }) {
    const worker = await createVigilWorker({ config });
    worker.start();
    io.stdout.write(`Vigil worker running on ${config.database.kind}\n`);
    await waitForShutdownSignal();
    await worker.close();
    return 0;
  },
};
