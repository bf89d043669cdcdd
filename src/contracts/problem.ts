import { z } from 'zod';

/**
 * Every error the API returns is an RFC 9457 problem document. `type` is a stable URI
 * `/problems/<code>`; clients switch on it, never on `title` or `detail`.
 */
export const problemCodes = {
  'bad-request': {
    status: 400,
    title: 'Bad request',
    description: 'The request could not be understood: malformed JSON, a bad header or an invalid URL.',
  },
  'validation-failed': {
    status: 400,
    title: 'Validation failed',
    description:
      'The request was well-formed but some fields are invalid. `errors` lists each field (as a JSON pointer) and what is wrong.',
  },
  unauthenticated: {
    status: 401,
    title: 'Authentication required',
    description:
      'The route needs a signed-in caller and none was presented, or the credentials were invalid or expired.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description: 'The caller is signed in but their role does not grant the permission this route needs.',
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    description:
      'Nothing exists at this address, or it belongs to an organisation the caller cannot see (the two are deliberately indistinguishable).',
  },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    description: 'The address exists but does not accept this HTTP method; the `Allow` header lists the ones it does.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: 'The request conflicts with the current state of the resource.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    description: 'The request body exceeds the limit for this route.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    description: 'The request body must be sent as `application/json`.',
  },
  'rate-limited': {
    status: 429,
    title: 'Too many requests',
    description: 'A rate limit was exceeded; retry after the number of seconds in `Retry-After`.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    description:
      'Something failed on our side. The `instance` field carries the request id to quote to support; no details are exposed.',
  },
  unavailable: {
    status: 503,
    title: 'Service unavailable',
    description: 'A dependency (usually the database) is unreachable or not migrated yet. Retry later.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ProblemCode = keyof typeof problemCodes;

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;
