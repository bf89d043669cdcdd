import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type Log = (...args: unknown[]) => void;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

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
  private write(level: Level, args: unknown[]): void {
    if ((this.#child ?? this.parent).isLevelEnabled(level)) (this.logger[level] as Log)(...args);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }
}
