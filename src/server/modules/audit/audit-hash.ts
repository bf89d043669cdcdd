import { createHash } from 'node:crypto';

/** prev_hash of the first event of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

export type HashedAuditFields = {
  id: string;
  orgId: string | null;
  seq: number;
  occurredAt: Date;
  actorUserId: string | null;
  actorRole: string | null;
  actorIp: string | null;
  actorUserAgent: string | null;
  action: string;
  outcome: string;
  targetType: string | null;
  targetId: string | null;
  metadata: Record<string, unknown>;
  requestId: string | null;
};

/** JSON with object keys sorted at every depth, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** SHA-256 over the previous hash and the canonical event: the link that makes the log tamper-evident. */
export function hashAuditEvent(prevHash: string, event: HashedAuditFields): string {
  const canonical = canonicalJson({ ...event, occurredAt: event.occurredAt.toISOString() });
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

// C0 controls, DEL and the Unicode line/paragraph separators: never interpreted downstream
// (terminals, CSV viewers, log pipelines), always shown escaped.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f\u2028\u2029]/g;

/** Escapes control characters in a user-supplied string, e.g. `\n` becomes the text `\u000a`. */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Applies escapeControlCharacters to every string (keys included) in a metadata object. */
export function escapeMetadata(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return escapeControlCharacters(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => escapeMetadata(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      escapeControlCharacters(key),
      escapeMetadata(item, depth + 1),
    ]),
  );
}
