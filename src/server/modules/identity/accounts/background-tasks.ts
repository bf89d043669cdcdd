import type { Logger } from 'pino';

export type BackgroundTasks = {
  /** Starts `task` without waiting for it; a failure is logged, never thrown at a caller. */
  run(name: string, task: () => Promise<void>): void;
  /** Waits until every started task has finished (tests, shutdown). */
  flush(): Promise<void>;
};

/**
 * Work a request starts but does not wait for. Requests that must answer the same way whether
 * or not an email has an account (resend verification, password reset) return at once and do
 * the lookup, token and mail here, so not even their response time depends on the answer.
 */
export function createBackgroundTasks(options: { log: Pick<Logger, 'error'> }): BackgroundTasks {
  const running = new Set<Promise<void>>();
  return {
    run(name, task) {
      const promise: Promise<void> = Promise.resolve()
        .then(task)
        .catch((error: unknown) => options.log.error({ err: error, task: name }, 'background task failed'))
        .finally(() => running.delete(promise));
      running.add(promise);
    },
    async flush() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
