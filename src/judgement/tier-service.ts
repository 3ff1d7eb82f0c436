import type { Database } from '../db/database';
import { insertIgnoringDuplicates, num, upsertRows } from '../db/sql';
import { lifecycleStage, type LifecycleResult } from '../lifecycle';
import type { PolicyConfig } from '../policy/config';
import { diffTier, scoreTier, type TierResult, type TierSnapshot } from '../tiers';
import type { TierOverride } from '../tiers/types';
import { loadCustomerInputs, type CustomerInputs, type InputWindows } from './inputs';

function reviveOverride(o: TierOverride & { setAt: string; expiresAt?: string | null }): TierOverride {
  return { ...o, setAt: new Date(o.setAt), expiresAt: o.expiresAt ? new Date(o.expiresAt) : null };
}

const BATCH = 1000;

export interface RecomputeSummary {
  customers: number;
  changed: number;
  [key: string]: number;
}

export interface TierServiceDeps {
  db: Database;
  policy: PolicyConfig;
  timeZone: string;
}

/**
 * Computes and stores each customer's tier and lifecycle stage, appending to tier_history when
 * the tier changes (with the reasons behind the new tier). Idempotent: recomputing unchanged
 * data writes no history.
 */
export class TierService {
  constructor(private readonly d: TierServiceDeps) {}

  windows(): InputWindows {
    const t = this.d.policy.tiers;
    const orderDays = Math.max(t.frequency.windowDays, t.monetary.windowDays, ...t.recency.map((r) => r.withinDays), 730);
    return { orderDays, engagementDays: t.engagement.windowDays };
  }

  /** Recomputes the given customers now; `cause` is kept on history rows (event, nightly, manual). */
  async recompute(ids: string[], now: Date, cause: string): Promise<RecomputeSummary> {
    let changed = 0;
    for (let i = 0; i < ids.length; i += BATCH) {
      changed += await this.recomputeBatch(ids.slice(i, i + BATCH), now, cause);
    }
    return { customers: ids.length, changed };
  }

  /** Every customer Fencun knows, in batches, with progress. */
  async recomputeAll(now: Date, cause: string, progress?: (done: number, total: number) => void): Promise<RecomputeSummary> {
    const [{ n }] = await this.d.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM external_contacts');
    const total = num(n);
    let afterId = 0;
    let done = 0;
    let changed = 0;
    for (;;) {
      const rows = await this.d.db.query<{ id: unknown; external_user_id: string }>(
        'SELECT id, external_user_id FROM external_contacts WHERE id > ? ORDER BY id LIMIT ?', [afterId, BATCH]);
      if (rows.length === 0) break;
      afterId = num(rows[rows.length - 1].id);
      changed += await this.recomputeBatch(rows.map((r) => r.external_user_id), now, cause);
      done += rows.length;
      progress?.(done, total);
    }
    return { customers: done, changed };
  }

  /** Pure evaluation for one customer's loaded inputs (also used by callers that display it). */
  evaluate(input: CustomerInputs, now: Date): { tier: TierResult; lifecycle: LifecycleResult } {
    const tier = scoreTier(input.facts, now, this.d.policy.tiers, this.d.timeZone);
    const lifecycle = lifecycleStage({
      tier: tier.tier,
      relation: input.relation,
      relationEndedAt: input.relationEndedAt,
      addedAt: input.addedAt ?? now,
      orders: input.orders,
      lastInboundAt: input.lastInboundAt,
      unansweredTouches: input.touchesSinceInbound,
      openComplaint: input.complaint.openSince !== null,
    }, now, this.d.policy.tiers, this.d.timeZone);
    return { tier, lifecycle };
  }

  private async recomputeBatch(ids: string[], now: Date, cause: string): Promise<number> {
    const { db } = this.d;
    const inputs = await loadCustomerInputs(db, ids, now, this.windows());
    const previous = await this.snapshots(ids);
    const current: unknown[][] = [];
    const history: unknown[][] = [];
    for (const input of inputs.values()) {
      const { tier, lifecycle } = this.evaluate(input, now);
      current.push([input.id, tier.tier, tier.scoredTier, Math.round(tier.score), JSON.stringify(tier.reasons),
        tier.override ? JSON.stringify(tier.override) : null, lifecycle.stage, JSON.stringify(lifecycle.signals), now.getTime()]);
      const change = diffTier(previous.get(input.id) ?? null, tier);
      if (change.record) {
        history.push([input.id, change.from, change.to, Math.round(tier.score), JSON.stringify(change.reasons), cause, now.getTime()]);
      }
    }
    await db.transaction(async (tx) => {
      await upsertRows(tx, 'customer_tiers',
        ['external_user_id', 'tier', 'scored_tier', 'score', 'reasons', 'override', 'stage', 'stage_signals', 'computed_at'], current,
        ['external_user_id'], ['tier', 'scored_tier', 'score', 'reasons', 'override', 'stage', 'stage_signals', 'computed_at']);
      for (let i = 0; i < history.length; i += 200) {
        await insertIgnoringDuplicates(tx, 'tier_history',
          ['external_user_id', 'from_tier', 'to_tier', 'score', 'reasons', 'cause', 'at'], history.slice(i, i + 200), ['id']);
      }
    });
    return history.length;
  }

  private async snapshots(ids: string[]): Promise<Map<string, TierSnapshot>> {
    const out = new Map<string, TierSnapshot>();
    if (ids.length === 0) return out;
    const rows = await this.d.db.query<{ external_user_id: string; tier: string; score: unknown; reasons: string; override: string | null }>(
      `SELECT external_user_id, tier, score, reasons, override FROM customer_tiers WHERE external_user_id IN (${ids.map(() => '?').join(',')})`, ids);
    const labels = new Map(this.d.policy.tiers.tiers.map((t, i) => [t.id, { label: t.label, rank: i }]));
    for (const r of rows) {
      out.set(r.external_user_id, {
        tier: r.tier, tierLabel: labels.get(r.tier)?.label ?? r.tier, rank: labels.get(r.tier)?.rank ?? 99,
        score: num(r.score), reasons: JSON.parse(r.reasons), override: r.override ? reviveOverride(JSON.parse(r.override)) : null,
      });
    }
    return out;
  }
}
