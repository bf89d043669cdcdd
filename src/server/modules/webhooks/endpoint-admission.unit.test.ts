import { describe, expect, it } from 'vitest';
import { createControlledClock } from '../../platform/clock.ts';
import { createEndpointAdmission } from './endpoint-admission.ts';

describe('per-endpoint admission', () => {
  it('admits at most maxInFlight requests to one endpoint at once, and other endpoints meanwhile', () => {
    const admission = createEndpointAdmission({ clock: createControlledClock(), maxInFlight: 2, ratePerSecond: 100 });
    const first = admission.tryAdmit('slow');
    const second = admission.tryAdmit('slow');
    expect([first.admitted, second.admitted]).toEqual([true, true]);
    const third = admission.tryAdmit('slow');
    expect(third).toMatchObject({ admitted: false });
    expect(third.admitted === false && third.retryInMs).toBeGreaterThanOrEqual(250);
    expect(admission.tryAdmit('other').admitted).toBe(true);
    if (first.admitted) {
      first.release();
      first.release(); // releasing twice frees one slot, not two
    }
    expect(admission.inFlight('slow')).toBe(1);
    expect(admission.tryAdmit('slow').admitted).toBe(true);
    expect(admission.tryAdmit('slow').admitted).toBe(false);
  });

  it('admits a burst of twice the rate, then the rate per second, per endpoint', () => {
    const clock = createControlledClock();
    const admission = createEndpointAdmission({ clock, maxInFlight: 1_000, ratePerSecond: 5 });
    const burst = Array.from({ length: 11 }, () => admission.tryAdmit('flooded').admitted);
    expect(burst.filter(Boolean)).toHaveLength(10);
    const refused = admission.tryAdmit('flooded');
    expect(refused).toMatchObject({ admitted: false });
    expect(refused.admitted === false && refused.retryInMs).toBeGreaterThanOrEqual(50);
    expect(admission.tryAdmit('quiet').admitted).toBe(true);
    clock.advance(1_000);
    const next = Array.from({ length: 6 }, () => admission.tryAdmit('flooded').admitted);
    expect(next.filter(Boolean)).toHaveLength(5);
  });
});
