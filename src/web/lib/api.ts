import { type Problem, type ProblemCode, problemSchema } from '../../contracts/problem.ts';

/** An HTTP or validation failure from the API, carrying the RFC 9457 problem document when there is one. */
export class ApiError extends Error {
  readonly status: number | null;
  readonly problem: Problem | null;
  /** Seconds the server asked to wait (`Retry-After`), for rate limits and lockouts. */
  readonly retryAfterSeconds: number | null;

  constructor(
    message: string,
    options: {
      status?: number | null;
      problem?: Problem | null;
      retryAfterSeconds?: number | null;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.status = options.status ?? null;
    this.problem = options.problem ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
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

  /** The message of the field error whose JSON pointer is `pointer` (e.g. `/body/password`). */
  fieldError(pointer: string): string | null {
    return this.problem?.errors?.find((error) => error.pointer === pointer)?.message ?? null;
  }

  /** Whether the problem type is `/problems/<code>`. */
  is(code: ProblemCode): boolean {
    return this.problemCode === code;
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

/** Reads a failed response into an ApiError, with the problem document when the server sent one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let problem: Problem | null = null;
  if (isProblemContentType(response.headers.get('content-type'))) {
    const parsed = problemSchema.safeParse(await response.json().catch(() => null));
    if (parsed.success) problem = parsed.data;
  }
  const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  return new ApiError(problem?.detail ?? `The server answered ${response.status} ${response.statusText}`.trim(), {
    status: response.status,
    problem,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
  });
}

/** Sends a request, turning a network failure into an ApiError (an abort is rethrown as is). */
export async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { credentials: 'same-origin', ...init });
  } catch (cause) {
    if (init.signal?.aborted) throw cause;
    throw new ApiError('The server could not be reached. Check your connection and try again.', { cause });
  }
}

/** Reads and validates the JSON body of a successful response. */
export async function readJson<T>(response: Response, parse: (body: unknown) => T): Promise<T> {
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

/**
 * GETs a same-origin JSON resource and validates it with `parse` (e.g. `statusSchema.parse`).
 * Throws `ApiError` on any failure, with the problem document when the server sent one.
 */
export async function getJson<T>(path: string, parse: (body: unknown) => T, signal?: AbortSignal): Promise<T> {
  const response = await send(path, { headers: { accept: 'application/json' }, signal });
  if (!response.ok) throw await errorFromResponse(response);
  return readJson(response, parse);
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(error instanceof Error ? error.message : 'Something went wrong.', { cause: error });
}
