import type { Clock } from '../../src/clock';

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(at: string | Date): void;
}

/** A clock tests move by hand (retries, leases, schedules). */
export function manualClock(start: string | Date = new Date()): ManualClock {
  let t = new Date(start).getTime();
  const clock = (() => new Date(t)) as ManualClock;
  clock.advance = (ms) => {
    t += ms;
  };
  clock.set = (at) => {
    t = new Date(at).getTime();
  };
  return clock;
}
