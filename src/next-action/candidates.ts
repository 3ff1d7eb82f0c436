import { REASON_LABELS } from '../pressure/labels';
import { TouchCategory, Verdict } from '../pressure/types';
import { DEFAULT_TIME_ZONE } from '../policy/types';
import { agoZh, daysAgoZh, daysBetween, renderTemplate } from '../policy/zh';
import { ZoneCalendar } from '../policy/zone-calendar';
import { localDate, nextAnnual, postSaleDue } from './occasions';
import { ActionTemplate, NextActionConfig } from './schema';
import { ActionCandidate, ActionKind, NextActionFacts, PRIORITY, relationEnded } from './types';
import { productName } from './wording';

/** Every action that could make sense for this customer now, each checked against pressure. */

const DAY = 86_400_000;

type Vars = Record<string, string | number | undefined>;

function make(
  kind: ActionKind,
  tpl: ActionTemplate,
  vars: Vars,
  reasons: string[],
  category: TouchCategory,
  verdict: Verdict,
): ActionCandidate {
  const message = tidy(renderTemplate(tpl.message, vars));
  return {
    kind,
    title: renderTemplate(tpl.title, vars),
    reasons,
    priority: PRIORITY[kind],
    message: message === '' ? null : message,
    category,
    allowed: verdict.allowed,
    blockedBy: verdict.allowed ? [] : verdict.reasons.map((r) => REASON_LABELS[r]),
    until: verdict.allowed ? null : verdict.nextAllowedAt,
  };
}

export function buildCandidates(f: NextActionFacts, now: Date, config: NextActionConfig): ActionCandidate[] {
  const t = now.getTime();
  const tz = f.timeZone || DEFAULT_TIME_ZONE;
  const T = config.templates;
  const cal = new ZoneCalendar(tz);
  // Order titles are SKU lines ("有机奶粉 3段 x6"); the 话术 names the product as a person would.
  const lastProduct = [...f.orders].filter((o) => productName(o.product)).sort((a, b) => b.at.getTime() - a.at.getTime())[0]?.product;
  const base: Vars = { name: f.customer.name, tier: f.tier.label, product: productName(lastProduct) || '产品' };
  const out: ActionCandidate[] = [];
  const stage = f.lifecycle.stage;
  if (relationEnded(f)) return out;

  if (f.waiting && f.waiting.count > 0) {
    const first = agoZh(f.waiting.since.getTime(), t, cal);
    const last = f.lastInboundAt && f.lastInboundAt > f.waiting.since ? agoZh(f.lastInboundAt.getTime(), t, cal) : first;
    // The age and the count describe the same messages: the first unanswered one and those after it.
    const waited = f.waiting.count === 1 || first === last
      ? `客户${spaced(first)}发来 ${f.waiting.count} 条消息还没有回复`
      : `客户发来的 ${f.waiting.count} 条消息还没有回复（最早一条${spaced(first)}，最近一条${spaced(last)}）`;
    if (f.pressure.service.allowed) {
      // Inside the service window answering is service: never capped by pressure.
      out.push(make('service', T.service, base, [waited, '回复客户不占用联系次数'], 'service', { allowed: true }));
    } else {
      // Past the service window a reply is a proactive touch like any other (the pressure policy
      // counts it so): still the first thing to do, but only when care is allowed.
      out.push(make('service', T.late_reply, base, [waited, '已超过回复时限，这次回复按主动联系计'], 'care', f.pressure.care));
    }
  }

  if (f.complaint) {
    const d = daysBetween(f.complaint.openedAt.getTime(), t);
    const when = daysAgoZh(f.complaint.openedAt.getTime(), t, new ZoneCalendar(tz));
    const reasons = [`投诉${f.complaint.status === 'open' ? '待确认' : '处理中'}（${when}提出）`];
    if (f.complaint.summary) reasons.push(`内容：${f.complaint.summary}`);
    reasons.push('投诉期间不发营销');
    // Inside the service window the follow-up answers the customer; outside it is proactive care.
    const v = f.pressure.service.allowed ? f.pressure.service : f.pressure.complaintFollowUp;
    out.push(make('complaint_follow_up', T.complaint_follow_up, { ...base, days: d }, reasons, 'care', v));
  }

  const highValue = config.highValueTiers.includes(f.tier.id);
  // During a complaint the follow-up is the personal touch; a second one would crowd them.
  if ((stage === 'at_risk' || stage === 'dormant') && highValue && !f.complaint) {
    const reasons = [`${f.tier.label}客户，${f.lifecycle.label}`, ...f.lifecycle.signals.map((s) => s.label), '请亲自一对一问候，不发营销'];
    out.push(make('churn_wake_up', T.churn_wake_up, base, reasons, 'care', f.pressure.care));
  }

  const sale = postSaleDue(f.orders, f.lastCareAt, now, config);
  const saleReminders = f.reminders.filter((r) => r.kind === 'post_sale_care');
  for (const r of f.reminders) {
    // A snoozed reminder is not due: it suggests nothing until it comes back.
    if (r.dueAt.getTime() > t) continue;
    const overdue = daysBetween(r.dueAt.getTime(), t);
    const due = overdue > 0 ? `提醒已逾期 ${overdue} 天` : '提醒今天到期';
    if (r.kind === 'post_sale_care') {
      // The care reminder and the post-sale suggestion are one thing: the reminder carries it.
      const reasons = sale ? [`${sale.daysSinceOrder} 天前购买了${productName(sale.order.product) || base.product}`, due] : [due, '成交后的关怀让客户愿意再来'];
      const c = make('post_sale_care', { title: r.title, message: r.message ?? '' }, base, reasons, 'care', f.pressure.care);
      out.push({ ...c, reminderId: r.id });
      continue;
    }
    const c = make('reminder', T.reminder, { ...base, reminder: r.title }, [due], 'care', f.pressure.care);
    if (r.message) c.message = tidy(renderTemplate(r.message, base)) || null;
    out.push({ ...c, reminderId: r.id });
  }

  // Post-sale care from orders only where no care reminder carries it (reminders not wired, or
  // none made): a snoozed or completed reminder must not come back as the same suggestion.
  if (sale && !f.postSaleFromReminders && saleReminders.length === 0) {
    const product = productName(sale.order.product) || base.product;
    const vars = { ...base, product, days: sale.daysSinceOrder };
    out.push(make('post_sale_care', sale.step.template, vars, [`${sale.daysSinceOrder} 天前购买了${product}`, '成交后的关怀让客户愿意再来'], 'care', f.pressure.care));
  }

  occasions(out, f, now, tz, config, base);

  const cadence = config.revisitCadenceDays[f.tier.id];
  const lastTalk = Math.max(f.lastCareAt?.getTime() ?? -Infinity, f.lastInboundAt?.getTime() ?? -Infinity);
  const revisitDue = cadence !== undefined && (lastTalk === -Infinity || t - lastTalk >= cadence * DAY);
  // A valuable customer going quiet already has the wake-up; a revisit would say the same twice.
  const wakeUpPlanned = out.some((c) => c.kind === 'churn_wake_up');
  if (revisitDue && !wakeUpPlanned && stage !== 'lost') {
    const since = lastTalk === -Infinity ? '还没有聊过' : `已 ${daysBetween(lastTalk, t)} 天没有交流`;
    const reasons = [`${since}，${f.tier.label}客户建议每 ${cadence} 天回访一次`];
    if (stage === 'at_risk' || stage === 'dormant') reasons.push(...f.lifecycle.signals.map((s) => s.label));
    out.push(make('revisit', T.revisit, base, reasons, 'care', f.pressure.care));
  }

  // Marketing only to customers in good standing: never during a complaint, never as the way to
  // wake a valuable customer, never to someone who stopped answering.
  const goodStanding = !f.complaint && !wakeUpPlanned && stage !== 'lost' && stage !== 'dormant';
  if (f.offer && goodStanding && f.unansweredTouches < config.giveSpace.afterUnanswered) {
    const vars = { ...base, offer: f.offer.title, product: productName(f.offer.product) || base.product };
    out.push(make('marketing', T.marketing, vars, [`可推荐：${f.offer.title}`], 'marketing', f.pressure.marketing));
  }
  return out.map((c) => ({ ...c, blockedBy: c.blockedBy.map((b) => unconfirmedLabel(b, f)) }));
}

/**
 * Pressure blocks care while any complaint is open, confirmed or only suggested. Facts carry a
 * complaint only once a rep confirmed it, so COMPLAINT_OPEN without one is a suggestion: say so,
 * never "投诉处理中" for words nobody has confirmed as a complaint.
 */
export function unconfirmedLabel(label: string, f: NextActionFacts): string {
  return !f.complaint && label === REASON_LABELS.COMPLAINT_OPEN ? COMPLAINT_SUGGESTED_LABEL : label;
}

export const COMPLAINT_SUGGESTED_LABEL = '客户可能在投诉，确认前不主动联系';

function occasions(out: ActionCandidate[], f: NextActionFacts, now: Date, tz: string, config: NextActionConfig, base: Vars): void {
  const lead = config.occasionLeadDays;
  const greetedWithin = (daysUntil: number) => f.lastCareAt !== null && f.lastCareAt.getTime() >= now.getTime() - (lead - daysUntil + 1) * DAY;
  if (f.birthday) {
    const b = nextAnnual(f.birthday.month, f.birthday.day, now, tz);
    if (b.daysUntil <= lead && !greetedWithin(b.daysUntil)) {
      const when = b.daysUntil === 0 ? '今天' : `${b.daysUntil} 天后（${b.dateLabel}）`;
      out.push(make('birthday', config.templates.birthday, { ...base, date: b.dateLabel }, [`${when}是客户生日`], 'care', f.pressure.care));
    }
  }
  if (f.firstPurchaseAt) {
    const first = localDate(f.firstPurchaseAt, tz);
    const a = nextAnnual(first.month, first.day, now, tz, first.year);
    if (a.years >= 1 && a.daysUntil <= lead && !greetedWithin(a.daysUntil)) {
      const when = a.daysUntil === 0 ? '今天' : `${a.daysUntil} 天后（${a.dateLabel}）`;
      const reasons = [`${when}是客户首次购买 ${a.years} 周年`];
      out.push(make('anniversary', config.templates.anniversary, { ...base, years: a.years, date: a.dateLabel }, reasons, 'care', f.pressure.care));
    }
  }
}

/** "3 小时前" reads "客户 3 小时前发来…"; "刚刚"/"昨天" need no space before them. */
function spaced(when: string): string {
  return /^\d/.test(when) ? ` ${when}` : when;
}

/** With no name to use, "{name}，最近还好吗" must not start with a comma. */
export function tidy(message: string): string {
  return message.trim().replace(/^[，,、。\s]+/, '');
}
