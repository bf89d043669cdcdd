import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** Vigil's own TypeScript loader, as bin/vigil.js uses it: the servers run as production does. */
const TYPESCRIPT_LOADER = new URL('../../bin/typescript-loader.js', import.meta.url).href;

export type BenchServer = { url: string; extra: string[]; child: ChildProcess; stop(): Promise<void> };

/**
 * Starts a bench server script in its own process (so the load generator and the server do not
 * share one event loop) and waits for its `READY <url> [extra…]` line.
 */
export async function startBenchServer(script: string): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', TYPESCRIPT_LOADER, script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  const words = await new Promise<string[]>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const match = /READY (.+)\n/.exec(buffer);
      if (match?.[1]) resolve(match[1].split(' '));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    url: words[0] as string,
    extra: words.slice(1),
    child,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
