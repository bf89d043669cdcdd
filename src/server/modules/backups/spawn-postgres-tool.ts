import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { BackupError } from './backup-error.ts';

export type PostgresTool = 'pg_dump' | 'pg_restore' | 'psql';

/**
 * libpq arguments for a postgres:// URL. The password travels in PGPASSWORD, not on the command
 * line, where any local user could read it from the process list.
 */
export function libpqConnection(url: string): { dbname: string; environment: Record<string, string> } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), environment: password ? { PGPASSWORD: password } : {} };
}

export type RunningTool = {
  child: ChildProcessByStdio<Writable | null, Readable | null, Readable>;
  /** Resolves when the tool exits 0; rejects with a BackupError quoting its stderr otherwise. */
  exited: Promise<void>;
};

/** The last few KiB of stderr: enough for the error, bounded whatever the tool prints. */
const STDERR_TAIL_BYTES = 4096;

/** Starts a PostgreSQL client tool against `url` with stdin/stdout as asked. */
export function spawnPostgresTool(options: {
  tool: PostgresTool;
  /** Omitted for tools that only read or write files (pg_restore --file=-). */
  url?: string;
  args: string[];
  stdin: 'pipe' | 'ignore';
  stdout: 'pipe' | 'ignore';
}): RunningTool {
  const connection = options.url ? libpqConnection(options.url) : null;
  const child = spawn(options.tool, [...options.args, ...(connection ? ['--dbname', connection.dbname] : [])], {
    stdio: [options.stdin, options.stdout, 'pipe'],
    env: {
      // The child needs PATH, locale and PG* settings of this process; only the password is added.
      // eslint-disable-next-line no-restricted-properties -- passing the environment on, not reading config
      ...process.env,
      ...connection?.environment,
      PGAPPNAME: `vigil-${options.tool}`,
    },
  }) as ChildProcessByStdio<Writable | null, Readable | null, Readable>;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new BackupError(
          'tool-failed',
          error.code === 'ENOENT'
            ? `${options.tool} is not installed (or not on PATH): install the PostgreSQL client tools, same major version as the server or newer`
            : `${options.tool} could not start: ${error.message}`,
        ),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else {
        const detail = stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
        reject(new BackupError('tool-failed', `${options.tool} failed: ${detail}`));
      }
    });
  });
  // Callers await `exited` at their own pace; never let a rejection go unobserved meanwhile.
  exited.catch(() => {});
  return { child, exited };
}
