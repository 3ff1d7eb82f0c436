import type { Database } from '../db/database';
import { rankChurnRisk, STAGE_LABELS, type LifecycleStage, type RepChurnList } from '../lifecycle';
import { findMemberNames } from './inputs-repository';
import { findChurnCandidates } from './tier-repository';

const DAY = 86_400_000;

/**
 * Per-rep churn-risk lists from the stored lifecycle stages (tiers-recompute keeps them current):
 * at-risk and dormant customers of each rep's live relations, by spend over the last year.
 */
export async function churnRiskByRep(
  db: Database, now: Date, o: { repIds?: string[]; limitPerRep?: number } = {},
): Promise<(RepChurnList & { repName: string | null })[]> {
  const rows = await findChurnCandidates(db, { paidSince: now.getTime() - 365 * DAY, repIds: o.repIds });
  const lists = rankChurnRisk(rows.map((r) => ({
    customerId: r.externalUserId,
    repId: r.repId,
    tier: r.tier,
    value: r.value,
    lifecycle: {
      stage: r.stage as LifecycleStage, label: STAGE_LABELS[r.stage as LifecycleStage],
      signals: r.stageSignals, daysSincePurchase: null, daysSinceInbound: null,
    },
  })), { limitPerRep: o.limitPerRep });
  const names = await findMemberNames(db, lists.map((l) => l.repId));
  return lists.map((l) => ({ ...l, repName: names.get(l.repId) ?? null }));
}
