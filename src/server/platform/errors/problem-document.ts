import { type Problem, type ProblemCode, problemCodes } from '../../../contracts/problem.ts';
import type { FieldError } from './app-error.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Builds the RFC 9457 body for a code. `instance` carries the request id for support. */
export function toProblemDocument(
  code: ProblemCode,
  options: { detail?: string; requestId?: string; errors?: FieldError[] } = {},
): Problem {
  const definition = problemCodes[code];
  return {
    type: `/problems/${code}`,
    title: definition.title,
    status: definition.status,
    ...(options.detail ? { detail: options.detail } : {}),
    ...(options.requestId ? { instance: `urn:vigil:request:${options.requestId}` } : {}),
    ...(options.errors && options.errors.length > 0 ? { errors: options.errors } : {}),
  };
}

/** Maps a status a framework chose (4xx client errors) to our nearest stable code. */
export function problemCodeForStatus(status: number): ProblemCode {
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 405:
      return 'method-not-allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload-too-large';
    case 415:
      return 'unsupported-media-type';
    case 429:
      return 'rate-limited';
    case 503:
      return 'unavailable';
    default:
      return status >= 400 && status < 500 ? 'bad-request' : 'internal';
  }
}
