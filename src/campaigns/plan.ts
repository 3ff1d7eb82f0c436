import { DateTime } from 'luxon';
import { BatchEvaluator, type PressurePolicy, type PressureState, REASON_LABELS, type TouchRequest } from '../pressure';
import type { Decision, PlanBatch, PlanReason, PlanSample, PlanSummary, Route } from './types';

/**
 * The campaign plan, pure: every recipient judged by the pressure policy at the instant they
 * would be sent, routed to the member WeCom will push the task to, packed into per-sender
 * batches. A function of its inputs and `now` alone, so a plan made twice on the same data is
 * the same plan and the approval can recompute it.
 *
 * Send times. The campaign sends from max(schedule.start, now). A customer blocked then by
 * something that lifts on its own before schedule.end (quiet hours, a gap, a full week) is
 * *deferred* to the quarter hour at or after the instant it lifts and judged again there; one that lifts only on an event or
 * after the end is *excluded*. Each member sends to at most `perSenderDailyRate` customers per
 * campaign day (day k = [first + k·24 h, first + (k+1)·24 h)); a customer over the rate moves to
 * the next day, and past the end is excluded as SCHEDULE_FULL.
 *
 * Counting. Each customer is counted once: admitted, deferred under the first rule that deferred
 * them, or excluded under the first failing rule of its last verdict, "first" in PLAN_REASON_ORDER.
 */

/**
 * The documented order (docs: the plan's explanation). Lasting reasons first — those only an
 * event lifts, then WeCom's own quota (the hard outer bound), then our caps from the longest
 * window to the shortest, the gap, and last the transient ones: quiet hours and the send rate.
 */
export const PLAN_REASON_ORDER: PlanReason[] = [
  'RELATION_ENDED',
  'COMPLAINT_OPEN',
  'COMPLAINT_COOLDOWN',
  'BACKOFF_PAUSED',
  'PLATFORM_QUOTA',
  'MONTHLY_CAP',
  'WEEKLY_CAP',
  'DAILY_CAP',
  'MIN_GAP',
  'QUIET_HOURS',
  'OUTSIDE_SERVICE_WINDOW',
  'SCHEDULE_FULL',
];
const RANK = new Map(PLAN_REASON_ORDER.map((r, i) => [r, i]));

export function orderReasons(reasons: PlanReason[]): PlanReason[] {
  return [...reasons].sort((a, b) => (RANK.get(a) ?? 99) - (RANK.get(b) ?? 99));
}

/** WeCom takes at most 10,000 external_userids per add_msg_template (wecom/API.md 4.10). */
export const MAX_BATCH = 10_000;
const DAY = 86_400_000;
// A customer can be deferred by a night, a gap, a week… each step jumps to a later lift time.
const MAX_TRIES = 24;
const SAMPLES_PER_REASON = 5;

export interface PlanRecipient {
  state: PressureState;
  /** null: no member follows the customer any more. */
  route: Route | null;
}

export interface PlanInput {
  recipients: PlanRecipient[];
  category: 'marketing' | 'care';
  schedule: { start: number; end: number; perSenderDailyRate: number };
  now: number;
  policy: PressurePolicy;
}

export interface Plan {
  first: number;
  decisions: Map<string, Decision>;
  batches: PlanBatch[];
  summary: PlanSummary;
}

/** A campaign goes out as add_msg_template: a corp mass message, whatever its category. */
export function campaignRequest(category: 'marketing' | 'care'): TouchRequest {
  return { category, channel: 'corp_mass' };
}

export function planCampaign(input: PlanInput): Plan {
  const { schedule, now, policy } = input;
  const first = Math.max(schedule.start, now);
  const judge = new BatchEvaluator(campaignRequest(input.category), policy);
  const used = new Map<string, number[]>();
  const decisions = new Map<string, Decision>();
  // Recipients in id order: the rate fills the same way on every plan of the same data. The
  // audience query already returns them so; sorting 100k objects again is skipped then.
  const recipients = inIdOrder(input.recipients) ? input.recipients : [...input.recipients].sort((a, b) => (a.state.id < b.state.id ? -1 : a.state.id > b.state.id ? 1 : 0));
  for (const r of recipients) decisions.set(r.state.id, decide(r, first, schedule, judge, used));
  const batches = packBatches(decisions);
  return { first, decisions, batches, summary: summarize(decisions, batches, first, input, policy) };
}

function decide(r: PlanRecipient, first: number, schedule: PlanInput['schedule'], judge: BatchEvaluator, used: Map<string, number[]>): Decision {
  let t = first;
  let firstReasons: PlanReason[] | null = null;
  for (let i = 0; i < MAX_TRIES; i++) {
    if (t >= schedule.end) {
      const reasons = firstReasons ?? ['SCHEDULE_FULL'];
      return { kind: 'excluded', reason: reasons[0], reasons, nextAllowedAt: t, route: r.route };
    }
    const v = judge.verdict(r.state, t);
    if (!v.allowed) {
      const reasons = orderReasons(v.reasons);
      firstReasons ??= reasons;
      const next = v.nextAllowedAt?.getTime() ?? null;
      if (next === null || next >= schedule.end || !r.route) {
        return { kind: 'excluded', reason: reasons[0], reasons, nextAllowedAt: next, route: r.route };
      }
      // Deferred to the next quarter hour at or after the lift, judged again there: the
      // customers a member is asked to send to at one time share one task, not one each.
      t = ceilToQuarter(next);
      continue;
    }
    if (!r.route) return { kind: 'excluded', reason: 'RELATION_ENDED', reasons: ['RELATION_ENDED'], nextAllowedAt: null, route: null };
    const day = Math.floor((t - first) / DAY);
    const perDay = used.get(r.route.sender) ?? [];
    if ((perDay[day] ?? 0) >= schedule.perSenderDailyRate) {
      firstReasons ??= ['SCHEDULE_FULL'];
      t = Math.max(t, first + (day + 1) * DAY);
      continue;
    }
    perDay[day] = (perDay[day] ?? 0) + 1;
    used.set(r.route.sender, perDay);
    if (t === first) return { kind: 'admitted', sendAt: t, route: r.route };
    const reasons = firstReasons!;
    return { kind: 'deferred', sendAt: t, route: r.route, reason: reasons[0], reasons };
  }
  const reasons = firstReasons ?? ['SCHEDULE_FULL'];
  return { kind: 'excluded', reason: reasons[0], reasons, nextAllowedAt: null, route: r.route };
}

function inIdOrder(rs: PlanRecipient[]): boolean {
  for (let i = 1; i < rs.length; i++) if (!(rs[i - 1].state.id < rs[i].state.id)) return false;
  return true;
}

const QUARTER = 15 * 60_000;

export function ceilToQuarter(ms: number): number {
  return Math.ceil(ms / QUARTER) * QUARTER;
}

/** One batch per (sender, send time), split at WeCom's 10,000; numbered by time then sender. */
export function packBatches(decisions: Map<string, Decision>): PlanBatch[] {
  // Keyed by send time, then sender: no key string built per customer.
  const byTime = new Map<number, Map<string, { sender: string; sendAt: number; ids: string[] }>>();
  const groups: { sender: string; sendAt: number; ids: string[] }[] = [];
  for (const [id, d] of decisions) {
    if (d.kind === 'excluded') continue;
    let senders = byTime.get(d.sendAt);
    if (!senders) byTime.set(d.sendAt, (senders = new Map()));
    let g = senders.get(d.route.sender);
    if (!g) {
      senders.set(d.route.sender, (g = { sender: d.route.sender, sendAt: d.sendAt, ids: [] }));
      groups.push(g);
    }
    g.ids.push(id);
  }
  const sorted = groups.sort((a, b) => a.sendAt - b.sendAt || (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : 0));
  const out: PlanBatch[] = [];
  for (const g of sorted) {
    // Decisions are made in id order, so each group's ids usually are already sorted.
    if (!isSorted(g.ids)) g.ids.sort();
    for (let i = 0; i < g.ids.length; i += MAX_BATCH) {
      out.push({ no: out.length + 1, sender: g.sender, sendAt: g.sendAt, externalUserIds: g.ids.slice(i, i + MAX_BATCH) });
    }
  }
  return out;
}

function isSorted(xs: string[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1] > xs[i]) return false;
  return true;
}

function summarize(decisions: Map<string, Decision>, batches: PlanBatch[], first: number, input: PlanInput, policy: PressurePolicy): PlanSummary {
  const s: PlanSummary = {
    at: input.now, audience: decisions.size, admitted: 0, deferred: {}, excluded: {}, routing: { lastChat: 0, followOwner: 0 },
    batches: batches.map((b) => ({ no: b.no, sender: b.sender, sendAt: new Date(b.sendAt).toISOString(), customers: b.externalUserIds.length })),
    samples: {},
  };
  const sample = (key: PlanReason | 'ADMITTED', id: string, d: Decision) => {
    const list = (s.samples[key] ??= []);
    if (list.length < SAMPLES_PER_REASON) list.push({ externalUserId: id, explanation: explainDecision(d, first, policy.timeZone) });
  };
  for (const [id, d] of decisions) {
    if (d.kind !== 'excluded' || d.route) {
      if (d.route?.via === 'last_chat') s.routing.lastChat++;
      else if (d.route) s.routing.followOwner++;
    }
    if (d.kind === 'admitted') {
      s.admitted++;
      sample('ADMITTED', id, d);
    } else if (d.kind === 'deferred') {
      s.deferred[d.reason] = (s.deferred[d.reason] ?? 0) + 1;
      sample(d.reason, id, d);
    } else {
      s.excluded[d.reason] = (s.excluded[d.reason] ?? 0) + 1;
      sample(d.reason, id, d);
    }
  }
  return s;
}

const PLAN_LABELS: Record<PlanReason, string> = { ...REASON_LABELS, SCHEDULE_FULL: '发送速度上限内排不下，活动结束前轮不到' };
/** A customer moved to a later day by the rate does get the message: say only that the day is full. */
const DEFERRED_FULL = '这位成员当天的发送量已满（每日发送速度上限）';

function when(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm');
}

function routeText(r: Route): string {
  return r.via === 'last_chat' ? `由 ${r.sender} 发送（最近与客户聊天的成员，企业微信只推送给他）` : `由 ${r.sender} 发送（没有聊天记录，按跟进成员）`;
}

/** One sentence an operator can read: what happens to this customer and why. */
export function explainDecision(d: Decision, first: number, zone: string): string {
  if (d.kind === 'admitted') return `${when(d.sendAt, zone)} 发送；${routeText(d.route)}`;
  const labels = d.reasons.map((r) => `${d.kind === 'deferred' && r === 'SCHEDULE_FULL' ? DEFERRED_FULL : PLAN_LABELS[r]}（${r}）`);
  if (d.kind === 'deferred') {
    return `推迟到 ${when(d.sendAt, zone)} 发送：${when(first, zone)} 时${labels.join('；')}；${routeText(d.route)}`;
  }
  const after = d.nextAllowedAt !== null ? `；${when(d.nextAllowedAt, zone)} 前不可联系` : '';
  return `不发送：${labels.join('；')}${after}${d.route ? `；${routeText(d.route)}` : ''}`;
}
