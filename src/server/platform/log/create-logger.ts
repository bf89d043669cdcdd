import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at any depth of a logged plain object. Fastify's
 * request serializer logs no headers or bodies; this catches whatever a handler or library logs
 * explicitly. (pino's path-based `redact` with wildcards cost more than half of the server's
 * throughput in bench/pipeline.ts; this walk skips class instances such as requests and errors,
 * which have serializers of their own, and allocates only when it replaces something.)
 */
const SECRET_KEYS = new Set(
  [
    'authorization',
    'cookie',
    'set-cookie',
    'password',
    'newpassword',
    'currentpassword',
    'token',
    'accesstoken',
    'refreshtoken',
    'idtoken',
    'secret',
    'clientsecret',
    'apikey',
    'api_key',
    'otp',
    'masterkey',
    'privatekey',
  ].map((key) => key.toLowerCase()),
);
const REDACTED = '[redacted]';
const MAX_REDACTION_DEPTH = 6;

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Returns `value` itself when it holds no secret key, else a copy with those values replaced. */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth > MAX_REDACTION_DEPTH || !isPlainContainer(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item, index) => {
      const redacted = redactSecrets(item, depth + 1);
      if (redacted !== item) {
        copy ??= [...value];
        copy[index] = redacted;
      }
    });
    return (copy ?? value) as T;
  }
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const redacted = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : redactSecrets(item, depth + 1);
    if (redacted !== item) {
      copy ??= { ...value };
      copy[key] = redacted;
    }
  }
  return (copy ?? value) as T;
}

// Query parameters whose values are credentials (reset links, OAuth callbacks).
const SECRET_QUERY_PARAMETERS = /^(token|code|state|password|secret|key|api_key|access_token|refresh_token|id_token)$/i;

/** The URL as logged: secret query values replaced, control characters escaped. */
export function sanitiseUrlForLog(url: string): string {
  const questionMark = url.indexOf('?');
  let safe = url;
  if (questionMark !== -1) {
    const search = new URLSearchParams(url.slice(questionMark + 1));
    for (const name of [...search.keys()]) {
      if (SECRET_QUERY_PARAMETERS.test(name)) search.set(name, '[redacted]');
    }
    safe = `${url.slice(0, questionMark)}?${search.toString()}`;
  }
  return safe.slice(0, 2048);
}

export function createLogger(options: { level: string; destination?: DestinationStream; name?: string }): Logger {
  return pino(
    {
      name: options.name ?? 'vigil',
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: (object) => redactSecrets(object) },
      serializers: {
        req: (request: { method?: string; url?: string; ip?: string; routeOptions?: { url?: string } }) => ({
          method: request.method,
          url: sanitiseUrlForLog(request.url ?? ''),
          route: request.routeOptions?.url,
          ip: request.ip,
        }),
        res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
