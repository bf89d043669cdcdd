import { type Problem, problemSchema } from '../../contracts/problem.ts';

/** An HTTP or validation failure from the API, carrying the RFC 9457 problem document when there is one. */
export class ApiError extends Error {
  readonly status: number | null;
  readonly problem: Problem | null;

  constructor(message: string, options: { status?: number | null; problem?: Problem | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.status = options.status ?? null;
    this.problem = options.problem ?? null;
  }

  /** A short heading for an error state. */
  get title(): string {
    if (this.problem) return this.problem.title;
    if (this.status !== null) return `Request failed (HTTP ${this.status})`;
    return 'Request failed';
  }

  /** The longer explanation, when the server gave one. */
  get detail(): string | null {
    return this.problem?.detail ?? (this.problem ? null : this.message);
  }

  /** The request id the server put in `instance` (`urn:vigil:request:<id>`), to quote to support. */
  get requestId(): string | null {
    const instance = this.problem?.instance;
    if (!instance) return null;
    const prefix = 'urn:vigil:request:';
    return instance.startsWith(prefix) ? instance.slice(prefix.length) : instance;
  }

  /** The problem code (`/problems/<code>` → `<code>`), if the type is one of ours. */
  get problemCode(): string | null {
    const type = this.problem?.type;
    if (!type?.startsWith('/problems/')) return null;
    return type.slice('/problems/'.length) || null;
  }
}

function isProblemContentType(contentType: string | null): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/problem+json';
}

/**
 * GETs a same-origin JSON resource and validates it with `parse` (e.g. `statusSchema.parse`).
 * Throws `ApiError` on any failure, with the problem document when the server sent one.
 */
export async function getJson<T>(path: string, parse: (body: unknown) => T, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', signal });
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new ApiError('The server could not be reached. Check your connection and try again.', { cause });
  }

  if (!response.ok) {
    let problem: Problem | null = null;
    if (isProblemContentType(response.headers.get('content-type'))) {
      const parsed = problemSchema.safeParse(await response.json().catch(() => null));
      if (parsed.success) problem = parsed.data;
    }
    throw new ApiError(problem?.detail ?? `The server answered ${response.status} ${response.statusText}`.trim(), {
      status: response.status,
      problem,
    });
  }

  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new ApiError('The server sent a response that is not valid JSON.', { status: response.status, cause });
  }
  try {
    return parse(body);
  } catch (cause) {
    throw new ApiError('The server sent a response in an unexpected shape.', { status: response.status, cause });
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(error instanceof Error ? error.message : 'Something went wrong.', { cause: error });
}
