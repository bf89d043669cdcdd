import pino, { type Logger } from 'pino';
import { sanitiseUrlForLog } from './create-logger.ts';

export type AccessLogEntry = {
  requestId: string;
  method: string;
  /** The URL as requested; secret query values are masked here. */
  url: string;
  /** The route pattern that answered, or undefined when none matched. */
  route: string | undefined;
  ip: string | undefined;
  statusCode: number;
  durationMs: number;
};

type PinoInternals = Logger & {
  [pino.symbols.streamSym]: { write(line: string): unknown };
  [pino.symbols.chindingsSym]: string;
  [pino.symbols.timeSym]: () => string;
  [pino.symbols.formattersSym]: { level(label: string, value: number): Record<string, unknown> };
};

/** `,"key":"value"`, or nothing for undefined — as JSON.stringify (and so pino) leaves such keys out. */
const field = (key: string, value: string | undefined) =>
  value === undefined ? '' : `,"${key}":${JSON.stringify(value)}`;

/**
 * Writes the one access-log line of each request, as `logger.child({ requestId }).info({ req, res,
 * durationMs }, 'request completed')` would — same keys, order, time format and destination — but
 * serialised directly: it runs for every request, and pino's general path (a child logger,
 * serializers, the redaction walk, generic stringify) cost several microseconds per request in
 * bench/auth.ts. Every value is either a number or passed through JSON.stringify, so no input can
 * break out of its string; the URL is sanitised like the `req` serializer does, and the fields are
 * fixed, so there is nothing secret to redact. A test compares the line with pino's own.
 */
export type AccessLog = {
  /** Queues the line; the lines of one event-loop turn are written together, at its end. */
  write(entry: AccessLogEntry): void;
  /** Writes the queued lines now (server close). */
  flush(): void;
};

export function createAccessLog(logger: Logger): AccessLog {
  const internals = logger as PinoInternals;
  const stream = internals[pino.symbols.streamSym];
  const bindings = internals[pino.symbols.chindingsSym];
  const time = internals[pino.symbols.timeSym];
  // The level as the logger's level formatter writes it (`"level":"info"` for Vigil's logger).
  const level = JSON.stringify(
    internals[pino.symbols.formattersSym].level('info', logger.levels.values.info ?? 30),
  ).slice(1, -1);
  // One write per event-loop turn instead of one per request (a busy server answers several
  // requests per turn): each write is a system call on the log's file descriptor.
  let pending: string[] = [];
  // The time fragment, formatted once per millisecond (a busy server logs many lines in one).
  let lastMs = -1;
  let lastTime = '';
  const timeNow = () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = time();
    }
    return lastTime;
  };
  const flush = () => {
    if (pending.length === 0) return;
    const lines = pending.join('');
    pending = [];
    stream.write(lines);
  };
  return {
    write(entry) {
      if (!logger.isLevelEnabled('info')) return;
      const line =
        `{${level}${timeNow()}${bindings}${field('requestId', entry.requestId)}` +
        `,"req":{"method":${JSON.stringify(entry.method)}${field('url', sanitiseUrlForLog(entry.url))}${field('route', entry.route)}${field('ip', entry.ip)}}` +
        `,"res":{"statusCode":${entry.statusCode}},"durationMs":${entry.durationMs},"msg":"request completed"}\n`;
      if (pending.push(line) === 1) setImmediate(flush);
    },
    flush,
  };
}
