import { DateTime } from 'luxon';
import type { NextActionConfig } from '../next-action/schema';
import { formatDateZh, formatWhenZh } from '../policy/zh';
import { parseClock, ZoneCalendar } from '../policy/zone-calendar';
import type { TouchRequest } from '../pressure/types';
import type { RemindersConfig } from './schema';

/**
 * The care rules as pure functions of a customer's stored facts and `now` (config/reminders.json,
 * docs/POLICY.md "Care reminders"). Each rule names its cause so that one cause makes one
 * reminder however often the job runs: the key carries what would make it a *new* cause (the
 * year of a birthday, the day a revisit fell due, the first unanswered message).
 * Post-sale steps are order-driven and made in care-job.ts from the orders; the rest are here.
 */

const DAY = 86_400_000;
const MINUTE = 60_000;

export type ReminderKind =
  | 'post_sale_care' | 'revisit' | 'birthday' | 'anniversary' | 'dormant_wake_up' | 'churn_risk' | 'unanswered_reply' | 'complaint_follow_up';

/** Which rules a run evaluates: `daily` for date-grained care, `service` for the minute-grained SLA and complaint rules. */
export type RuleSet = 'daily' | 'service';

/** What the rules read about one customer (stored judgements and facts, epoch ms). */
export interface RuleCustomer {
  externalUserId: string;
  /** Stored tier and lifecycle stage (customer_tiers); null before the first judgement. */
  tier: string | null;
  stage: string | null;
  /** The earliest active follow began (the relation's age when nobody ever talked). */
  addedAt: number | null;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  /** The first customer message still waiting for our reply (customer_facts.unanswered_since). */
  unansweredSince: number | null;
  /** Last proactive care touch. */
  lastCareAt: number | null;
  firstPaidAt: number | null;
  lastPaidAt: number | null;
  birthday: { month: number; day: number } | null;
  /** Imported anniversary date (local calendar); null = the first paid order's date is used. */
  anniversary: { year: number; month: number; day: number } | null;
  /** Confirmed complaints not yet closed. */
  complaints: { id: string; confirmedAt: number }[];
}

/** A reminder a rule wants, before its owner, wording and pressure are known. */
export interface ReminderCause {
  externalUserId: string;
  kind: ReminderKind;
  /** The cause, unique among all reminders (uq_reminders_cause). */
  ruleKey: string;
  /** Another cause that, when it already has a reminder, makes this one redundant. */
  supersededBy?: string;
  /** next-action.json template that words the title and 话术. */
  template: keyof NextActionConfig['templates'];
  vars: Record<string, string | number>;
  /** zh-CN, for the rep only. */
  reason: string;
  /** The earliest instant it may fall due, already inside work hours (pressure may move it later). */
  dueAt: number;
  /** How sending it counts for contact pressure. */
  request: TouchRequest;
  /** Not a proactive touch on the customer's care budget (SLA replies inside the service window). */
  service: boolean;
}

export interface RuleContext {
  reminders: RemindersConfig;
  nextAction: NextActionConfig;
  tierLabels: Record<string, string>;
  /** Tier used for a customer without a stored one (pressure.json fallbackTier). */
  fallbackTier: string;
  /** pressure.json serviceWindowHours, in ms: a reply inside it is service. */
  serviceWindowMs: number;
  cal: ZoneCalendar;
  /** compileWorkHours(reminders.workHours), compiled once per run. */
  work: WorkHours;
}

export interface WorkHours {
  days: Set<number>;
  start: number;
  end: number;
}

export function compileWorkHours(c: RemindersConfig['workHours']): WorkHours {
  return { days: new Set(c.days), start: parseClock(c.start), end: parseClock(c.end) };
}

/** The first instant at or after t inside work hours (corp calendar). */
export function workFit(t: number, w: WorkHours, cal: ZoneCalendar): number {
  let at = t;
  for (let i = 0; i < 15; i++) {
    const day = cal.localDay(at);
    const minute = cal.minuteOfDay(at);
    if (w.days.has(cal.weekday(at)) && minute < w.end) return minute >= w.start ? at : cal.instantOnLocalDay(day, w.start);
    at = cal.instantOnLocalDay(day + 1, 0);
  }
  return at;
}

/**
 * The work-hours start on an occasion's local day, or on the last work day before it when it
 * falls on a day off: a greeting a day early reads better than one two days late.
 */
export function occasionDue(localDay: number, w: WorkHours, cal: ZoneCalendar): number {
  let day = localDay;
  for (let i = 0; i < 7; i++, day--) {
    const at = cal.instantOnLocalDay(day, w.start);
    if (w.days.has(cal.weekday(at))) return at;
  }
  return cal.instantOnLocalDay(localDay, w.start);
}

/** The next local occurrence (today included) of month/day: its year and local day number. 29 Feb → 28 Feb in common years. */
export function nextOccurrence(month: number, day: number, now: number, cal: ZoneCalendar): { year: number; localDay: number } {
  const today = cal.localDay(now);
  const year = DateTime.fromMillis(today * DAY, { zone: 'utc' }).year;
  for (const y of [year, year + 1]) {
    const last = DateTime.utc(y, month, 1).daysInMonth ?? 28;
    const d = Date.UTC(y, month - 1, Math.min(day, last)) / DAY;
    if (d >= today) return { year: y, localDay: d };
  }
  throw new Error('unreachable: next year always has the date');
}

/** Every cause the rules of `set` find for this customer at `now`. */
export function causesFor(c: RuleCustomer, now: number, ctx: RuleContext, set: RuleSet): ReminderCause[] {
  return set === 'daily' ? dailyCauses(c, now, ctx) : serviceCauses(c, now, ctx);
}

function dailyCauses(c: RuleCustomer, now: number, ctx: RuleContext): ReminderCause[] {
  const out: ReminderCause[] = [];
  const { rules } = ctx.reminders;
  const work = ctx.work;
  const fit = (t: number) => workFit(Math.max(t, now), work, ctx.cal);
  const care: TouchRequest = { category: 'care' };
  const base = (kind: ReminderKind, ruleKey: string, template: ReminderCause['template'], reason: string, dueAt: number,
    vars: Record<string, string | number> = {}): ReminderCause =>
    ({ externalUserId: c.externalUserId, kind, ruleKey, template, vars, reason, dueAt, request: care, service: false });
  const tierLabel = c.tier ? ctx.tierLabels[c.tier] ?? c.tier : '';

  if (rules.birthday.enabled && c.birthday) {
    const o = nextOccurrence(c.birthday.month, c.birthday.day, now, ctx.cal);
    if (o.localDay - ctx.cal.localDay(now) <= rules.birthday.leadDays) {
      const date = formatDateZh(ctx.cal.instantOnLocalDay(o.localDay, 720), ctx.cal);
      out.push(base('birthday', `birthday:${c.externalUserId}:${o.year}`, 'birthday', `${date}是客户生日`,
        fit(occasionDue(o.localDay, work, ctx.cal)), { date }));
    }
  }

  const anniversary = c.anniversary ?? (c.firstPaidAt !== null ? localDate(c.firstPaidAt, ctx.cal) : null);
  if (rules.anniversary.enabled && anniversary) {
    const o = nextOccurrence(anniversary.month, anniversary.day, now, ctx.cal);
    const years = o.year - anniversary.year;
    if (years >= 1 && o.localDay - ctx.cal.localDay(now) <= rules.anniversary.leadDays) {
      const date = formatDateZh(ctx.cal.instantOnLocalDay(o.localDay, 720), ctx.cal);
      const what = c.anniversary ? `客户的纪念日（${years} 周年）` : `客户首次购买 ${years} 周年`;
      out.push(base('anniversary', `anniversary:${c.externalUserId}:${o.year}`, 'anniversary', `${date}是${what}`,
        fit(occasionDue(o.localDay, work, ctx.cal)), { years, date }));
    }
  }

  // Tier- and stage-driven rules read the stored judgement: a customer not yet judged has neither.
  if (!c.tier || !c.stage) return out;
  const activity = Math.max(c.lastInboundAt ?? -Infinity, c.lastPaidAt ?? -Infinity);
  const anchor = activity === -Infinity ? 'none' : localKey(activity, ctx.cal);
  // Worded only for the few customers it is said of (a date in the corp zone is costly at 100k).
  const quietSince = () => (activity === -Infinity ? '客户还没有互动过' : `客户最近一次互动在${formatDateZh(activity, ctx.cal, now)}`);
  const complaint = c.complaints.length > 0;
  // During a complaint its follow-up is the personal touch; a second one would crowd them.
  const churn = rules.churnRisk.enabled && c.stage === 'at_risk' && rules.churnRisk.tiers.includes(c.tier) && !complaint;
  const dormant = rules.dormantWakeUp.enabled && c.stage === 'dormant' && rules.dormantWakeUp.tiers.includes(c.tier) && !complaint;
  if (churn) {
    // One personal touch per silence: keyed by the customer's last activity, so a rep who writes
    // and gets no answer is not asked again until the customer shows a sign of life.
    out.push(base('churn_risk', `at_risk:${c.externalUserId}:${anchor}`, 'churn_wake_up',
      `${tierLabel}客户有流失风险（${quietSince()}），请亲自一对一问候，不发营销`, fit(now)));
  }
  if (dormant) {
    out.push({
      ...base('dormant_wake_up', `dormant:${c.externalUserId}:${anchor}`, 'churn_wake_up',
        `${tierLabel}客户已沉睡（${quietSince()}），请亲自一对一问候，不要群发`, fit(now)),
      // The same silence already had its at-risk touch: waking them again would be chasing.
      supersededBy: `at_risk:${c.externalUserId}:${anchor}`,
    });
  }

  const cadence = ctx.nextAction.revisitCadenceDays[c.tier];
  const lastTalk = Math.max(c.lastInboundAt ?? -Infinity, c.lastOutboundAt ?? -Infinity, c.lastCareAt ?? -Infinity);
  const since = lastTalk === -Infinity ? c.addedAt : lastTalk;
  if (rules.revisit.enabled && cadence !== undefined && since !== null && c.stage !== 'lost' && !churn && !dormant && !complaint) {
    const due = since + cadence * DAY;
    if (due <= now) {
      const silent = lastTalk === -Infinity ? `加好友 ${Math.floor((now - since) / DAY)} 天还没有聊过` : `已 ${Math.floor((now - since) / DAY)} 天没有交流`;
      // Keyed by the day it fell due: any conversation moves that day, and so makes a new cause.
      out.push(base('revisit', `revisit:${c.externalUserId}:${localKey(due, ctx.cal)}`, 'revisit',
        `${silent}，${tierLabel}客户建议每 ${cadence} 天回访一次`, fit(now)));
    }
  }
  return out;
}

function serviceCauses(c: RuleCustomer, now: number, ctx: RuleContext): ReminderCause[] {
  const out: ReminderCause[] = [];
  const { rules } = ctx.reminders;
  const work = ctx.work;
  const tier = c.tier ?? ctx.fallbackTier;
  const tierLabel = ctx.tierLabels[tier] ?? tier;
  // Inside the service window a reply is service (never capped); past it, a proactive touch.
  const inWindow = (at: number) => c.lastInboundAt !== null && at - c.lastInboundAt <= ctx.serviceWindowMs;

  const target = rules.unansweredSla.responseTargetMinutes[tier];
  if (rules.unansweredSla.enabled && c.unansweredSince !== null && target !== undefined) {
    const breach = c.unansweredSince + target * MINUTE;
    if (breach <= now) {
      const dueAt = workFit(now, work, ctx.cal);
      const service = inWindow(dueAt);
      out.push({
        externalUserId: c.externalUserId, kind: 'unanswered_reply', ruleKey: `sla:${c.externalUserId}:${c.unansweredSince}`,
        template: service ? 'service' : 'late_reply', vars: {},
        reason: `客户${formatWhenZh(c.unansweredSince, now, ctx.cal)} 发来的消息还没有回复，已超过${tierLabel}客户 ${targetZh(target)}的回复时限`,
        dueAt, request: { category: service ? 'service' : 'care' }, service,
      });
    }
  }

  if (rules.complaintFollowUp.enabled) {
    const followedUpAt = Math.max(c.lastOutboundAt ?? -Infinity, c.lastCareAt ?? -Infinity);
    for (const k of c.complaints) {
      const late = k.confirmedAt + rules.complaintFollowUp.afterHours * 60 * MINUTE;
      if (followedUpAt > k.confirmedAt || late > now) continue;
      const dueAt = workFit(now, work, ctx.cal);
      const service = inWindow(dueAt);
      out.push({
        externalUserId: c.externalUserId, kind: 'complaint_follow_up', ruleKey: `complaint:${k.id}`, template: 'complaint_follow_up', vars: {},
        reason: `投诉${formatWhenZh(k.confirmedAt, now, ctx.cal)} 确认，已超过 ${rules.complaintFollowUp.afterHours} 小时还没有跟进`,
        dueAt, request: service ? { category: 'service' } : { category: 'care', complaintFollowUp: true }, service,
      });
    }
  }
  return out;
}

function localDate(ms: number, cal: ZoneCalendar): { year: number; month: number; day: number } {
  // The corp calendar's day number read in UTC, as localKey does: a zone look-up per customer is costly at 100k.
  const d = DateTime.fromMillis(cal.localDay(ms) * DAY, { zone: 'utc' });
  return { year: d.year, month: d.month, day: d.day };
}

/** "2026-11-20" on the corp calendar. */
function localKey(ms: number, cal: ZoneCalendar): string {
  return DateTime.fromMillis(cal.localDay(ms) * DAY, { zone: 'utc' }).toISODate()!;
}

function targetZh(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} 天`;
  if (minutes % 60 === 0) return `${minutes / 60} 小时`;
  return `${minutes} 分钟`;
}
