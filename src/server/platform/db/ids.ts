import { uuidv7 } from 'uuidv7';

/** Time-ordered UUIDv7: new rows land at the end of the primary-key index. */
export function newId(): string {
  return uuidv7();
}
