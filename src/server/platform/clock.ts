/**
 * Time as a dependency. Everything whose behaviour depends on the time (tokens, retries,
 * leases, retention) takes a Clock so tests move time forward instead of sleeping.
 */
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

export type ControlledClock = Clock & { advance(milliseconds: number): void; set(time: Date): void };

/** A clock that only moves when told to. */
export function createControlledClock(start: Date = new Date('2026-01-01T00:00:00Z')): ControlledClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (milliseconds) => {
      current += milliseconds;
    },
    set: (time) => {
      current = time.getTime();
    },
  };
}
