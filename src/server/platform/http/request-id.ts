import { randomUUID } from 'node:crypto';

// A caller-supplied id is kept only if it is short and plain: it ends up in logs and in the
// database session, so anything that could forge a log line or smuggle markup is replaced.
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/** Accepts a well-formed `x-request-id` from the edge, otherwise generates one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  if (typeof header === 'string' && WELL_FORMED_REQUEST_ID.test(header)) return header;
  return randomUUID();
}
