import { CalendarCache, CalendarWindows, ZoneCalendar } from '../policy/zone-calendar';
import { countIn, Prepared } from './prepare';
import { quotaWindow } from './quota';
import { CapWindows, PressurePolicy } from './schema';
import { ReasonCode } from './types';

/**
 * The individual pressure rules. `blocksAt` answers "what stops this request at instant t, and
 * when would each obstacle lift on its own?" (liftAt null = only an event lifts it). The
 * evaluator walks forward through lift times to find the next allowed instant.
 */

export interface Block {
  code: ReasonCode;
  liftAt: number | null;
}

const WINDOW_CODES = [
  ['day', 'DAILY_CAP', 'dayStart', 'dayEnd'],
  ['week', 'WEEKLY_CAP', 'weekStart', 'weekEnd'],
  ['month', 'MONTHLY_CAP', 'monthStart', 'monthEnd'],
] as const;

function capBlocks(out: Block[], caps: CapWindows, times: number[], w: CalendarWindows): void {
  for (const [unit, code, start, end] of WINDOW_CODES) {
    const cap = caps[unit];
    if (cap === undefined || countIn(times, w[start], w[end]) < cap) continue;
    // A zero cap never reopens by waiting: the category is switched off for the tier.
    out.push({ code, liftAt: cap === 0 ? null : w[end] });
  }
}

function isQuiet(cal: ZoneCalendar, t: number, q: { start: number; end: number }): boolean {
  const m = cal.minuteOfDay(t);
  return q.start < q.end ? m >= q.start && m < q.end : m >= q.start || m < q.end;
}

function quietBlock(out: Block[], cal: ZoneCalendar, t: number, q: { start: number; end: number } | null): void {
  if (q && isQuiet(cal, t, q)) out.push({ code: 'QUIET_HOURS', liftAt: cal.nextLocalTime(t, q.end) });
}

function gapBlock(out: Block[], last: number | null, gapMs: number, t: number): void {
  if (last !== null && gapMs > 0 && t < last + gapMs) out.push({ code: 'MIN_GAP', liftAt: last + gapMs });
}

/** Everything that blocks the request at instant t; empty = allowed. */
export function blocksAt(p: Prepared, t: number, policy: PressurePolicy, cals: CalendarCache): Block[] {
  const out: Block[] = [];
  const { state, req } = p;
  if (state.relation !== 'active') out.push({ code: 'RELATION_ENDED', liftAt: null });

  if (req.category === 'service') {
    // Answering the customer is the job, never pressure: only whether they wrote recently matters.
    const inbound = state.lastInboundAt?.getTime();
    if (inbound === undefined || t < inbound || t - inbound > policy.serviceWindowMs) {
      out.push({ code: 'OUTSIDE_SERVICE_WINDOW', liftAt: null });
    }
    return out;
  }

  const windows = cals.get(policy.timeZone).windows(t);
  if (req.category === 'group_content') {
    quietBlock(out, p.local, t, p.group.quiet);
    capBlocks(out, p.group.caps, p.sameCategory, windows);
    gapBlock(out, p.lastProactive, p.group.minGapMs, t);
  } else if (req.category === 'welcome') {
    // The 欢迎语 can only go out in WeCom's 20-second window after the customer adds the rep
    // (wecom/API.md section 5): the customer is at their phone, so quiet hours, gaps and back-off
    // do not apply; its own caps stop re-add loops.
    capBlocks(out, p.rule.caps.welcome, p.sameCategory, windows);
  } else {
    customerRules(out, p, t, windows);
  }
  platformBlocks(out, p, t, policy, cals);
  return dedupe(out);
}

function customerRules(out: Block[], p: Prepared, t: number, windows: CalendarWindows): void {
  const { rule, state, req } = p;
  const c = state.complaint;
  if (c.openSince) {
    // While a complaint is in progress the only proactive touch is its follow-up.
    if (req.category === 'marketing' || !req.followUp) out.push({ code: 'COMPLAINT_OPEN', liftAt: null });
  } else if (req.category === 'marketing' && c.lastClosedAt && t < c.lastClosedAt.getTime() + rule.cooldownMs) {
    out.push({ code: 'COMPLAINT_COOLDOWN', liftAt: c.lastClosedAt.getTime() + rule.cooldownMs });
  }
  if (p.unanswered >= rule.backoff.pauseAfter) out.push({ code: 'BACKOFF_PAUSED', liftAt: null });
  quietBlock(out, p.local, t, rule.quiet);
  capBlocks(out, req.category === 'marketing' ? rule.caps.marketing : rule.caps.care, p.sameCategory, windows);
  capBlocks(out, rule.caps.proactive, p.proactive, windows);
  const slowed = p.unanswered >= rule.backoff.slowAfter;
  gapBlock(out, p.lastProactive, rule.minGapMs * (slowed ? rule.backoff.gapMultiplier : 1), t);
}

/**
 * WeCom's own quota (wecom/API.md section 5.4), the outermost bound: a mass send over it is
 * silently filtered by WeCom, so we refuse it first. Corp and member mass messages count together
 * for a customer; a customer group counts its own group posts. Counted on the platform's calendar
 * (Beijing time), whatever the corp's own time zone. 1:1 chats and welcome messages are no mass
 * messages and have no platform quota.
 */
function platformBlocks(out: Block[], p: Prepared, t: number, policy: PressurePolicy, cals: CalendarCache): void {
  const lim = policy.platform;
  const { category, channel } = p.req;
  if (category !== 'group_content' && channel !== 'corp_mass' && channel !== 'member_mass') return;
  const q = quotaWindow(lim.massQuota, cals.get(lim.timeZone).windows(t));
  limitBlock(out, 'PLATFORM_QUOTA', q.max, category === 'group_content' ? p.sameCategory : p.mass, q.start, q.end);
}

function limitBlock(out: Block[], code: ReasonCode, max: number, times: number[], start: number, end: number): void {
  if (countIn(times, start, end) >= max) out.push({ code, liftAt: max === 0 ? null : end });
}

function dedupe(blocks: Block[]): Block[] {
  if (blocks.length < 2) return blocks;
  // Blocks are few (≤ 8), so a linear scan beats a Map in a 100k-customer batch.
  const out: Block[] = [];
  for (const b of blocks) {
    const i = out.findIndex((o) => o.code === b.code);
    // Same code from two sources (category and total caps): it lifts when both have lifted.
    if (i === -1) out.push(b);
    else if (out[i].liftAt !== null && (b.liftAt === null || b.liftAt > out[i].liftAt!)) out[i] = b;
  }
  return out;
}
