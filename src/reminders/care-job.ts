import type { Job } from '../jobs/job';
import type { Denial } from '../judgement/pressure-service';
import { productName, salutation } from '../next-action/wording';
import { renderTemplate } from '../policy/zh';
import type { NewReminder } from './repository';

const DAY = 86_400_000;

/**
 * Post-sale care as reminders for the rep who owns the order: an order paid `afterDays` ago
 * (config/next-action.json postSaleCare) gets one reminder per step, for one rep even when several
 * follow the customer (owner: the rep who last chatted with the customer up to the payment, else
 * the earliest active follow; see chooseOwner). It falls due when the contact-pressure policy
 * allows care: at once, or later when only time stands in the way (quiet hours, a gap). When it
 * waits on an event instead (an open complaint, a customer who stopped answering, a relation that
 * ended), no reminder is made and the suppression is recorded, once per step and order however
 * many runs and days of the step's window find it held back.
 */
export const careReminders: Job = {
  name: 'care-reminders',
  description: 'Create post-sale care reminders for the owning reps (respecting contact pressure)',
  schedule: '0 9 * * *',
  catchUp: true,
  async run({ now, services }) {
    const { judgement, reminders } = services;
    const t = now.getTime();
    const candidates: NewReminder[] = [];
    for (const step of judgement.policy.nextAction.postSaleCare) {
      const orders = await reminders.paidOrdersWithOwner(t - (step.afterDays + step.withinDays) * DAY, t - step.afterDays * DAY);
      for (const o of orders) {
        // The remark is the rep's private note: only its customer-safe part addresses the customer.
        const vars = { name: salutation(judgement.policy.nextAction.salutation, o.remark, o.name), product: productName(o.product) || '上次购买的商品' };
        candidates.push({
          externalUserId: o.externalUserId, userId: o.ownerUserId, kind: 'post_sale_care',
          ruleKey: `post_sale:${step.afterDays}:${o.externalOrderId}`, title: renderTemplate(step.template.title, vars),
          message: renderTemplate(step.template.message, vars), dueAt: t,
        });
      }
    }
    const existing = await reminders.existingCauses(candidates.map((c) => c.ruleKey));
    const fresh = candidates.filter((c) => !existing.has(c.ruleKey));
    const ids = [...new Set(fresh.map((c) => c.externalUserId))];
    const ref = { kind: 'reminder', id: `care-reminders:${now.toISOString().slice(0, 10)}` };
    const verdict = await judgement.pressure.evaluateAudience(ids, 'care', now, ref, { record: false });
    const dueAt = new Map<string, number>(verdict.allowed.map((id) => [id, t]));
    for (const d of verdict.denied) if (d.nextAllowedAt) dueAt.set(d.externalUserId, d.nextAllowedAt.getTime());
    const heldBack = new Map(verdict.denied.filter((d) => !d.nextAllowedAt).map((d) => [d.externalUserId, d]));
    // One suppression per cause (the step of one order) and customer, not per run.
    const suppressions: Denial[] = fresh.filter((c) => heldBack.has(c.externalUserId))
      .map((c) => ({ ...heldBack.get(c.externalUserId)!, cause: c.ruleKey }));
    const suppressed = await judgement.pressure.recordDenials(suppressions, 'care', now, ref);
    const created = await reminders.create(
      fresh.filter((c) => dueAt.has(c.externalUserId)).map((c) => ({ ...c, dueAt: dueAt.get(c.externalUserId)! })), t);
    // suppressed: suppressions recorded by this run (first prevented now); held: causes held back this run.
    return { candidates: candidates.length, created, suppressed, held: suppressions.length };
  },
};
