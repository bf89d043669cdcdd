/** Awaits a promise that must fail; returns the database's own message (drizzle wraps it in `cause`). */
export async function databaseErrorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected the operation to be refused, but it succeeded');
}

export const ROW_LEVEL_SECURITY_VIOLATION = /row-level security/i;
