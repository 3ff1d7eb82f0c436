import { CalendarCache, CalendarWindows } from '../policy/zone-calendar';
import { countIn, prepare, resolveRequest } from './prepare';
import { quotaWindow } from './quota';
import { CapWindows, PressurePolicy } from './schema';
import { Budget, PressureState, TouchCategory, TouchRequest } from './types';

/**
 * How many more touches of this kind the caps leave in the current day, week and month.
 * Counts only caps (ours and WeCom's); whether a touch is allowed *now* (quiet hours, gap,
 * complaint, back-off) is `evaluate`'s job. Service is never capped: all null.
 */
export function remainingBudget(
  state: PressureState,
  request: TouchCategory | TouchRequest,
  at: Date,
  policy: PressurePolicy,
): Budget {
  const req = resolveRequest(request);
  if (req.category === 'service') return { day: null, week: null, month: null };
  const cals = new CalendarCache();
  const p = prepare(state, req, policy, cals);
  const t = at.getTime();
  const w = cals.get(policy.timeZone).windows(t);

  let budget: Budget = { day: null, week: null, month: null };
  if (req.category === 'group_content') {
    budget = tighten(budget, left(p.group.caps, p.sameCategory, w));
  } else if (req.category === 'welcome') {
    budget = tighten(budget, left(p.rule.caps.welcome, p.sameCategory, w));
  } else {
    budget = tighten(budget, left(req.category === 'marketing' ? p.rule.caps.marketing : p.rule.caps.care, p.sameCategory, w));
    budget = tighten(budget, left(p.rule.caps.proactive, p.proactive, w));
  }

  // WeCom's quota (wecom/API.md section 5.4) on the platform's calendar, for mass sends only.
  if (req.category === 'group_content' || req.channel === 'corp_mass' || req.channel === 'member_mass') {
    const q = quotaWindow(policy.platform.massQuota, cals.get(policy.platform.timeZone).windows(t));
    const remaining = q.max - countIn(req.category === 'group_content' ? p.sameCategory : p.mass, q.start, q.end);
    budget = tighten(budget, { day: null, week: null, month: null, [q.unit]: remaining });
  }

  // A longer window bounds the shorter ones; this never overstates what is left.
  const month = clamp(budget.month);
  const week = min(clamp(budget.week), month);
  const day = min(clamp(budget.day), week);
  return { day, week, month };
}

function left(caps: CapWindows, times: number[], w: CalendarWindows): Budget {
  const rem = (cap: number | undefined, start: number, end: number) => (cap === undefined ? null : cap - countIn(times, start, end));
  return {
    day: rem(caps.day, w.dayStart, w.dayEnd),
    week: rem(caps.week, w.weekStart, w.weekEnd),
    month: rem(caps.month, w.monthStart, w.monthEnd),
  };
}

function min(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function tighten(a: Budget, b: Budget): Budget {
  return { day: min(a.day, b.day), week: min(a.week, b.week), month: min(a.month, b.month) };
}

function clamp(n: number | null): number | null {
  return n === null ? null : Math.max(0, n);
}
