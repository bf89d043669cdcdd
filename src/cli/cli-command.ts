import type { Config } from '../server/config.ts';

export type CliIo = {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  environment: Record<string, string | undefined>;
};

export type CliCommand = {
  name: string;
  summary: string;
  help: string;
  run(options: { config: Config; args: string[]; io: CliIo }): Promise<number>;
};

/** Resolves when the process is asked to stop (Ctrl-C, `docker stop`, systemd). */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
