import { type ProblemCode, problemCodes } from '../../../contracts/problem.ts';

export type FieldError = { pointer: string; message: string };

/**
 * The one error type services throw for anything a client should see. The code decides the
 * HTTP status and the problem `type` (see src/contracts/problem.ts, where each code says why it
 * exists); `detail` must be safe to show to the caller.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? problemCodes[code].title);
    this.name = 'AppError';
    this.status = problemCodes[code].status;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
