import type { Database } from '../db/database';
import { num, placeholders } from '../db/sql';
import { rankChurnRisk, STAGE_LABELS, type LifecycleStage, type RepChurnList } from '../lifecycle';

const DAY = 86_400_000;

/**
 * Per-rep churn-risk lists from the stored lifecycle stages (tiers-recompute keeps them current):
 * at-risk and dormant customers of each rep's live relations, by spend over the last year.
 */
export async function churnRiskByRep(
  db: Database, now: Date, o: { repIds?: string[]; limitPerRep?: number } = {},
): Promise<(RepChurnList & { repName: string | null })[]> {
  const repFilter = o.repIds?.length ? ` AND f.user_id IN (${placeholders(o.repIds.length)})` : '';
  const rows = await db.query<{ external_user_id: string; user_id: string; tier: string; stage: string; stage_signals: string; value: unknown }>(
    `SELECT t.external_user_id, f.user_id, t.tier, t.stage, t.stage_signals,
       (SELECT COALESCE(SUM(o.amount), 0) FROM orders o WHERE o.external_user_id = t.external_user_id AND o.paid_at >= ?) AS value
     FROM customer_tiers t JOIN follows f ON f.external_user_id = t.external_user_id AND f.status = 'active'
     WHERE t.stage IN ('at_risk', 'dormant')${repFilter}`,
    [now.getTime() - 365 * DAY, ...(o.repIds ?? [])]);
  const lists = rankChurnRisk(rows.map((r) => ({
    customerId: r.external_user_id,
    repId: r.user_id,
    tier: r.tier,
    value: num(r.value),
    lifecycle: {
      stage: r.stage as LifecycleStage, label: STAGE_LABELS[r.stage as LifecycleStage],
      signals: JSON.parse(r.stage_signals), daysSincePurchase: null, daysSinceInbound: null,
    },
  })), { limitPerRep: o.limitPerRep });
  const names = new Map<string, string>();
  if (lists.length) {
    const members = await db.query<{ user_id: string; name: string }>(
      `SELECT user_id, name FROM members WHERE user_id IN (${placeholders(lists.length)})`, lists.map((l) => l.repId));
    for (const m of members) names.set(m.user_id, m.name);
  }
  return lists.map((l) => ({ ...l, repName: names.get(l.repId) ?? null }));
}
