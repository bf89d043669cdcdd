import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type Log = (...args: unknown[]) => void;

/**
 * The logger Fastify gives each request (`request.log`), created only when the request logs
 * something. Fastify's default builds a pino child for every request — bindings serialised,
 * levels and serializers copied — although a request that succeeds logs nothing but its access
 * line, which has a writer of its own (access-log.ts). The child, once made, is the one Fastify
 * would have made: the same bindings (`requestId`) and options. Methods live on the prototype:
 * a request that logs nothing allocates this object and nothing else.
 */
export class LazyRequestLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The pino child, made on first use. */
  get logger(): Logger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  /** Below the level nothing is logged, so no child is made for it. */
  private enabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  fatal(...args: unknown[]): void {
    if (this.enabled('fatal')) (this.logger.fatal as Log)(...args);
  }

  error(...args: unknown[]): void {
    if (this.enabled('error')) (this.logger.error as Log)(...args);
  }

  warn(...args: unknown[]): void {
    if (this.enabled('warn')) (this.logger.warn as Log)(...args);
  }

  info(...args: unknown[]): void {
    if (this.enabled('info')) (this.logger.info as Log)(...args);
  }

  debug(...args: unknown[]): void {
    if (this.enabled('debug')) (this.logger.debug as Log)(...args);
  }

  trace(...args: unknown[]): void {
    if (this.enabled('trace')) (this.logger.trace as Log)(...args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }
}
