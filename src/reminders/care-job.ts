import type { Job, JobSummary } from '../jobs/job';
import type { Denial } from '../judgement/pressure-service';
import { tidy } from '../next-action/candidates';
import { findOrderFacts } from '../orders/repository';
import { productName } from '../next-action/wording';
import { addressName } from '../profile/fields';
import { formatWhenZh, renderTemplate } from '../policy/zh';
import { ZoneCalendar } from '../policy/zone-calendar';
import { REASON_LABELS } from '../pressure/labels';
import type { ReasonCode, TouchRequest } from '../pressure/types';
import type { Services } from '../services';
import { standingPurchases } from '../tiers/purchases';
import type { NewReminder } from './repository';
import { causesFor, compileWorkHours, workFit, type RuleContext, type RuleSet } from './rules';

const DAY = 86_400_000;
/** How far back a refund may reach for the purchase it undoes (refunds name no order: tiers/purchases.ts). */
const REFUND_LOOKBACK_DAYS = 180;

/**
 * The orders that still stand at `t` once refunds are taken off: a purchase refunded in full gets
 * no post-sale care ("用着怎么样" about something the customer sent back reads as not listening).
 */
async function standingOnly<O extends { externalOrderId: string; externalUserId: string }>(
  services: Services, orders: O[], paidAfter: number, t: number): Promise<O[]> {
  if (orders.length === 0) return orders;
  const facts = await findOrderFacts(services.db, [...new Set(orders.map((o) => o.externalUserId))], paidAfter - REFUND_LOOKBACK_DAYS * DAY);
  const standing = new Set([...facts.values()].flatMap((list) => standingPurchases(list, t).map((o) => o.id)));
  return orders.filter((o) => standing.has(o.externalOrderId));
}

/**
 * Care reminders for the rep who owns the relation (capability 7; rules in config/reminders.json,
 * docs/POLICY.md "Care reminders"). Two jobs run the same pipeline over different rules:
 * - care-reminders, daily: post-sale steps (config/next-action.json postSaleCare), revisits on the
 *   tier's cadence, birthdays and anniversaries, at-risk and dormant personal touches;
 * - reply-reminders, every 10 minutes: a customer waiting past the tier's response target, a
 *   confirmed complaint nobody followed up.
 * Each cause makes one reminder (its rule key is unique), for one rep: orders are owned by the rep
 * who last chatted with the customer up to the payment, other causes by the rep who last chatted
 * 1:1 up to now, else the earliest active follow (chooseOwner). It falls due inside work hours when
 * the contact-pressure policy allows: at once, or later when only time stands in the way (quiet
 * hours, a gap, a full window), with that reason kept on the reminder. When it waits on an event
 * instead (an open complaint, a customer who stopped answering, a relation that ended), no reminder
 * is made and the suppression is recorded once per cause however many runs find it held back.
 * Replies inside the service window are service and never capped. Open reminders of a relation
 * that ended are closed with how it ended.
 */
export const careReminders: Job = {
  name: 'care-reminders',
  description: 'Create care reminders (post-sale, revisit, birthday, anniversary, at-risk, dormant) for the owning reps, respecting contact pressure',
  schedule: '0 9 * * *',
  catchUp: true,
  run: ({ now, services }) => runCareRules(services, now, 'daily'),
};

export const replyReminders: Job = {
  name: 'reply-reminders',
  description: 'Remind the owning rep of customers waiting past their tier\'s response target and of complaints not followed up',
  schedule: '*/10 * * * *',
  run: ({ now, services }) => runCareRules(services, now, 'service'),
};

/** A reminder whose owner and wording are known, waiting for its due time. */
interface Pending {
  reminder: Omit<NewReminder, 'dueAt' | 'reason'>;
  reason: string;
  at: number;
  request: TouchRequest;
  /** Pressure reasons that moved it later. */
  deferredBy: ReasonCode[];
}

/** Rounds of "fit into work hours, ask pressure again": a quiet night, then a weekend, then a gap. */
const MAX_ROUNDS = 4;

export async function runCareRules(services: Services, now: Date, set: RuleSet): Promise<JobSummary> {
  const { judgement, reminders, config } = services;
  const policy = judgement.policy;
  const t = now.getTime();
  const cal = new ZoneCalendar(config.timezone);
  const work = compileWorkHours(policy.reminders.workHours);
  const T = policy.nextAction.templates;
  const closed = await reminders.closeEndedRelations(t);

  const pending: Pending[] = [];
  if (set === 'daily' && policy.reminders.rules.postSale.enabled) {
    for (const step of policy.nextAction.postSaleCare) {
      const paidAfter = t - (step.afterDays + step.withinDays) * DAY;
      const orders = await standingOnly(services, await reminders.paidOrdersWithOwner(paidAfter, t - step.afterDays * DAY), paidAfter, t);
      for (const o of orders) {
        // The remark is the rep's private note: only its customer-safe part addresses the customer.
        const product = productName(o.product) || '上次购买的商品';
        const vars = { name: addressName(o.salutation, policy.nextAction.salutation, o.remark, o.name), product };
        pending.push({
          reminder: {
            externalUserId: o.externalUserId, userId: o.ownerUserId, kind: 'post_sale_care', ruleKey: `post_sale:${step.afterDays}:${o.externalOrderId}`,
            title: renderTemplate(step.template.title, vars), message: renderTemplate(step.template.message, vars),
          },
          reason: `${step.afterDays} 天前购买了${product}，成交后的关怀让客户愿意再来`,
          at: workFit(t, work, cal), request: { category: 'care' }, deferredBy: [],
        });
      }
    }
  }

  const customers = set === 'daily' ? await reminders.ruleCustomers() : await reminders.ruleCustomers(await reminders.serviceCandidates());
  const ctx: RuleContext = {
    reminders: policy.reminders, nextAction: policy.nextAction, fallbackTier: policy.pressure.fallbackTier,
    tierLabels: Object.fromEntries(policy.tiers.tiers.map((x) => [x.id, x.label])),
    serviceWindowMs: policy.pressure.serviceWindowHours * 3_600_000, cal, work,
  };
  const causes = customers.flatMap((c) => causesFor(c, t, ctx, set));
  const candidates = pending.length + causes.length;

  const existing = await reminders.existingCauses([...pending.map((p) => p.reminder.ruleKey), ...causes.flatMap((c) => [c.ruleKey, c.supersededBy ?? c.ruleKey])]);
  const freshPending = pending.filter((p) => !existing.has(p.reminder.ruleKey));
  let fresh = causes.filter((c) => !existing.has(c.ruleKey) && !(c.supersededBy && existing.has(c.supersededBy)));
  // A revisit only says "it has been a while": any other care reminder of the customer, open or
  // new, is already that conversation.
  const otherCare = new Set([...freshPending.map((p) => p.reminder.externalUserId),
    ...fresh.filter((c) => c.kind !== 'revisit' && !c.service && c.kind !== 'complaint_follow_up').map((c) => c.externalUserId)]);
  const revisits = fresh.filter((c) => c.kind === 'revisit').map((c) => c.externalUserId);
  const openCare = revisits.length ? await reminders.withOpenCare(revisits) : new Set<string>();
  fresh = fresh.filter((c) => c.kind !== 'revisit' || (!otherCare.has(c.externalUserId) && !openCare.has(c.externalUserId)));

  const ids = [...new Set(fresh.map((c) => c.externalUserId))];
  // Only the wake-up 话术 names a product ("上次您买的…用着怎么样").
  const asksProduct = [...new Set(fresh.filter((c) => c.template === 'churn_wake_up').map((c) => c.externalUserId))];
  const [owners, products] = await Promise.all([reminders.ownersOf(ids, t), reminders.lastProducts(asksProduct)]);
  for (const c of fresh) {
    const owner = owners.get(c.externalUserId);
    if (!owner) continue; // the last active follow ended since the customers were read
    const vars = { ...c.vars, name: addressName(owner.salutation, policy.nextAction.salutation, owner.remark, owner.name), product: productName(products.get(c.externalUserId)) || '产品' };
    const tpl = T[c.template];
    freshPending.push({
      reminder: {
        externalUserId: c.externalUserId, userId: owner.userId, kind: c.kind, ruleKey: c.ruleKey,
        title: renderTemplate(tpl.title, vars), message: tidy(renderTemplate(tpl.message, vars)) || null,
      },
      reason: c.reason, at: c.dueAt, request: c.request, deferredBy: [],
    });
  }

  const ref = { kind: 'reminder', id: `${set === 'daily' ? 'care' : 'reply'}-reminders:${now.toISOString().slice(0, 10)}` };
  const ready: NewReminder[] = [];
  const heldBack: Denial[] = [];
  // Pressure states are read once for the run; each reminder is judged at its own instant (every
  // one at or after now), the deferred ones again at the instant they moved to.
  const judge = await judgement.pressure.judgeFrom([...new Set(freshPending.map((p) => p.reminder.externalUserId))], now);
  let round = freshPending;
  for (let r = 0; round.length > 0 && r < MAX_ROUNDS; r++) {
    const next: Pending[] = [];
    // Taken by (request, instant), the order the run has always judged and stored them in.
    const groups = new Map<string, { request: TouchRequest; at: number; items: Pending[] }>();
    for (const p of round) {
      const key = `${JSON.stringify(p.request)}|${p.at}`;
      const g = groups.get(key) ?? { request: p.request, at: p.at, items: [] };
      g.items.push(p);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      for (const p of g.items) {
        const v = judge(p.reminder.externalUserId, g.request, g.at);
        const d: Denial | null = v.allowed ? null : { externalUserId: p.reminder.externalUserId, reasons: v.reasons, nextAllowedAt: v.nextAllowedAt };
        if (!d) {
          ready.push(finish(p, g.at, t, cal));
        } else if (!d.nextAllowedAt) {
          heldBack.push({ ...d, cause: p.reminder.ruleKey });
        } else {
          // Time is the obstacle: due when pressure allows, moved on into work hours if that is outside them.
          const allowed = d.nextAllowedAt.getTime();
          const fitted = workFit(allowed, work, cal);
          const deferred = { ...p, deferredBy: [...new Set([...p.deferredBy, ...d.reasons])] };
          if (fitted === allowed) ready.push(finish(deferred, allowed, t, cal));
          else next.push({ ...deferred, at: fitted });
        }
      }
    }
    round = next;
  }
  for (const p of round) ready.push(finish(p, p.at, t, cal));

  // One suppression per cause and customer, not per run.
  const suppressed = await judgement.pressure.recordDenials(heldBack, 'care', now, ref);
  const created = await reminders.create(ready, t);
  // A relation that ended while this run decided (its deletion processed between our read and our
  // insert) would otherwise keep a reminder made for it: the handler closes what it can see, this
  // sweep what was inserted after it looked.
  const closedAfter = await reminders.closeEndedRelations(t);
  // suppressed: suppressions recorded by this run (first prevented now); held: causes held back this run.
  const summary: JobSummary = { candidates, created, suppressed, held: heldBack.length };
  if (closed + closedAfter) summary.closed = closed + closedAfter;
  return summary;
}

function finish(p: Pending, dueAt: number, now: number, cal: ZoneCalendar): NewReminder {
  const why = p.deferredBy.length
    ? `${p.reason}；${p.deferredBy.map((r) => REASON_LABELS[r]).join('、')}，顺延到${formatWhenZh(dueAt, now, cal)}`
    : p.reason;
  return { ...p.reminder, dueAt, reason: why };
}
