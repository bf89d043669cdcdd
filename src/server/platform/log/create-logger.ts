import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at any of the first three levels of a logged
 * object. Fastify's request serializer logs no headers or bodies; these paths catch whatever a
 * handler or library logs explicitly.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'secret',
  'clientSecret',
  'apiKey',
  'otp',
  'masterKey',
];

function redactionPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const accessor = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `["${key}"]`;
    const join = (prefix: string) => (accessor.startsWith('[') ? `${prefix}${accessor}` : `${prefix}.${accessor}`);
    paths.push(accessor.startsWith('[') ? accessor.slice(2, -2) : accessor);
    paths.push(join('*'), join('*.*'));
  }
  return paths;
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
      redact: { paths: redactionPaths(), censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
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
