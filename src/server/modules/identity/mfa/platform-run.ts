import type { Transaction } from '../../../platform/db/database.ts';

/**
 * Runs work in a platform transaction: a route's `ctx.platform` (so the route's audit event
 * commits with the change) or `withPlatformTransaction` bound to a scope.
 */
export type PlatformRun = <T>(work: (transaction: Transaction) => Promise<T>) => Promise<T>;
