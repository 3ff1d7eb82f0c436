import type { Job } from '../jobs/job';
import { placeholders } from '../db/sql';
import { renderTemplate } from '../policy/zh';
import type { NewReminder } from './repository';

const DAY = 86_400_000;

/**
 * Post-sale care as reminders for the rep who owns the relation: an order paid `afterDays` ago
 * (config/next-action.json postSaleCare) gets one reminder per step, due when the contact-pressure
 * policy allows care: at once, or later when only time stands in the way (quiet hours, a gap).
 * When it waits on an event instead (an open complaint, a customer who stopped answering, a
 * relation that ended), no reminder is made and the suppression is recorded with its reasons.
 */
export const careReminders: Job = {
  name: 'care-reminders',
  description: 'Create post-sale care reminders for the owning reps (respecting contact pressure)',
  schedule: '0 9 * * *',
  async run({ now, services }) {
    const { db, judgement, reminders } = services;
    const t = now.getTime();
    const candidates: (NewReminder & { orderId: string })[] = [];
    for (const step of judgement.policy.nextAction.postSaleCare) {
      const rows = await db.query<{ external_order_id: string; external_user_id: string; product: string | null; user_id: string; remark: string | null; name: string | null }>(
        `SELECT o.external_order_id, o.external_user_id, o.product, f.user_id, f.remark, c.name FROM orders o
         JOIN follows f ON f.external_user_id = o.external_user_id AND f.status = 'active'
         LEFT JOIN external_contacts c ON c.external_user_id = o.external_user_id
         WHERE o.amount > 0 AND o.paid_at <= ? AND o.paid_at > ?`,
        [t - step.afterDays * DAY, t - (step.afterDays + step.withinDays) * DAY]);
      for (const r of rows) {
        const vars = { name: r.remark || r.name || '', product: r.product || '上次购买的商品' };
        candidates.push({
          orderId: r.external_order_id, externalUserId: r.external_user_id, userId: r.user_id, kind: 'post_sale_care',
          ruleKey: `post_sale:${step.afterDays}:${r.external_order_id}`, title: renderTemplate(step.template.title, vars),
          message: renderTemplate(step.template.message, vars), dueAt: t,
        });
      }
    }
    const fresh = await notYetCreated(db, candidates);
    const ids = [...new Set(fresh.map((c) => c.externalUserId))];
    const ref = { kind: 'reminder', id: `care-reminders:${now.toISOString().slice(0, 10)}` };
    const verdict = await judgement.pressure.evaluateAudience(ids, 'care', now, ref, { record: false });
    const dueAt = new Map<string, number>(verdict.allowed.map((id) => [id, t]));
    for (const d of verdict.denied) if (d.nextAllowedAt) dueAt.set(d.externalUserId, d.nextAllowedAt.getTime());
    const suppressed = verdict.denied.filter((d) => !d.nextAllowedAt);
    await judgement.pressure.recordDenials(suppressed, 'care', now, ref);
    const created = await reminders.create(
      fresh.filter((c) => dueAt.has(c.externalUserId)).map((c) => ({ ...c, dueAt: dueAt.get(c.externalUserId)! })), t);
    return { candidates: candidates.length, created, suppressed: suppressed.length };
  },
};

/** Leaves out reminders that exist already, so a re-run neither duplicates nor re-asks pressure. */
async function notYetCreated<T extends NewReminder>(db: Parameters<Job['run']>[0]['services']['db'], items: T[]): Promise<T[]> {
  const existing = new Set<string>();
  for (let i = 0; i < items.length; i += 500) {
    const part = items.slice(i, i + 500);
    if (part.length === 0) continue;
    const rows = await db.query<{ rule_key: string; user_id: string }>(
      `SELECT rule_key, user_id FROM reminders WHERE rule_key IN (${placeholders(part.length)})`, part.map((p) => p.ruleKey));
    for (const r of rows) existing.add(`${r.rule_key}|${r.user_id}`);
  }
  return items.filter((c) => !existing.has(`${c.ruleKey}|${c.userId}`));
}
