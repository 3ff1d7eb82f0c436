import { CalendarCache } from '../policy/zone-calendar';
import { evaluateWith } from '../pressure/evaluate';
import { PressurePolicy } from '../pressure/schema';
import { PressureState } from '../pressure/types';
import { PressureVerdicts } from './types';

/** The four verdicts next-best-action needs, computed at one instant with shared calendars. */
export function pressureVerdicts(state: PressureState, at: Date, policy: PressurePolicy): PressureVerdicts {
  const cals = new CalendarCache();
  return {
    service: evaluateWith(state, 'service', at, policy, cals),
    care: evaluateWith(state, 'care', at, policy, cals),
    marketing: evaluateWith(state, 'marketing', at, policy, cals),
    complaintFollowUp: evaluateWith(state, { category: 'care', complaintFollowUp: true }, at, policy, cals),
  };
}
