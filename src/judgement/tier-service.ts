import type { Database } from '../db/database';
import { retryOnLockConflict } from '../db/sql';
import { lifecycleStage, type LifecycleResult } from '../lifecycle';
import type { PolicyConfig } from '../policy/config';
import { diffTier, scoreTier, type TierResult, type TierSnapshot } from '../tiers';
import { loadCustomerInputs, type CustomerInputs, type InputWindows } from './inputs';
import {
  appendTierHistory, countCustomers, findCustomerPage, findStoredTiers, lockTierVersions, saveTiers,
  type TierHistoryRow, type TierWrite,
} from './tier-repository';

const BATCH = 1000;
/** Rounds of compare-and-set one recompute tries before leaving a customer to the computation that beat it. */
const CAS_ATTEMPTS = 5;

type StoredTier = TierSnapshot & { version: number; computedAt: number };

/** One customer's new tier row, the history row if it changed, and the version it was computed against. */
interface Computed {
  id: string;
  /** null: no stored row when the snapshot was read. */
  expectedVersion: number | null;
  row: TierWrite;
  history: TierHistoryRow | null;
}

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
 * data writes no history; concurrent recomputes compare-and-set (see recomputeBatch).
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
    const total = await countCustomers(this.d.db);
    let afterId = 0;
    let done = 0;
    let changed = 0;
    for (;;) {
      const rows = await findCustomerPage(this.d.db, afterId, BATCH);
      if (rows.length === 0) break;
      afterId = rows[rows.length - 1].id;
      changed += await this.recomputeBatch(rows.map((r) => r.externalUserId), now, cause);
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
      complaint: input.complaint,
    }, now, this.d.policy.tiers, this.d.timeZone);
    return { tier, lifecycle };
  }

  /**
   * Compare-and-set per customer, so concurrent recomputes (an event handler, tiers-refresh, the
   * nightly run, another instance) neither write a tier change twice nor let an older result land
   * last. Each stored row carries a version, bumped by every write:
   *   1. read the stored snapshot (tier, version, computed_at) BEFORE loading the inputs;
   *   2. compute, and diff against that snapshot;
   *   3. in one transaction, lock the rows and land a customer only if its version is still the
   *      one read in 1 — the history row is written in the same transaction, so only the winner
   *      of a version records the change.
   * A customer whose stored computed_at is later than `now` is left alone: a newer computation
   * has landed (including a `--now` in the past). One whose version moved (someone landed
   * after step 1, maybe from newer data) is computed again from fresh inputs. So what is stored
   * was always computed from inputs read after the write it replaced.
   */
  private async recomputeBatch(ids: string[], now: Date, cause: string): Promise<number> {
    let pending = ids;
    let changed = 0;
    for (let attempt = 1; pending.length > 0 && attempt <= CAS_ATTEMPTS; attempt++) {
      const landed = await this.computeAndLand(pending, now, cause);
      changed += landed.changed;
      // After CAS_ATTEMPTS lost races in a row the stored result is another, equally recent
      // computation's; leaving it is safer than spinning.
      pending = landed.conflicted;
    }
    return changed;
  }

  private async computeAndLand(ids: string[], now: Date, cause: string): Promise<{ changed: number; conflicted: string[] }> {
    const { db } = this.d;
    const previous = await this.snapshots(ids);
    const inputs = await loadCustomerInputs(db, ids, now, this.windows());
    const computed: Computed[] = [];
    for (const input of inputs.values()) {
      const before = previous.get(input.id);
      if (before && before.computedAt > now.getTime()) continue; // a newer computation already landed
      const { tier, lifecycle } = this.evaluate(input, now);
      const version = (before?.version ?? 0) + 1;
      const change = diffTier(before ?? null, tier);
      computed.push({
        id: input.id, expectedVersion: before ? before.version : null,
        row: {
          externalUserId: input.id, tier: tier.tier, scoredTier: tier.scoredTier, score: Math.round(tier.score), reasons: tier.reasons,
          override: tier.override, stage: lifecycle.stage, stageSignals: lifecycle.signals, computedAt: now.getTime(), version,
        },
        history: change.record ? {
          externalUserId: input.id, from: change.from, to: change.to, score: Math.round(tier.score), reasons: change.reasons, cause, at: now.getTime(),
        } : null,
      });
    }
    if (computed.length === 0) return { changed: 0, conflicted: [] };
    // A deadlock (batches gap-locking the same absent rows on MySQL) rolled everything back: the
    // whole check-and-write is simply run again (a few times: several instances may collide).
    return retryOnLockConflict(() => db.transaction(async (tx) => {
      const stored = await lockTierVersions(tx, computed.map((c) => c.id));
      const land: Computed[] = [];
      const conflicted: string[] = [];
      for (const c of computed) {
        const s = stored.get(c.id);
        if (s && s.computedAt > now.getTime()) continue; // a newer computation landed meanwhile
        if ((s?.version ?? null) === c.expectedVersion) land.push(c);
        else conflicted.push(c.id);
      }
      await saveTiers(tx, land.map((c) => c.row));
      const history = land.flatMap((c) => (c.history ? [c.history] : []));
      await appendTierHistory(tx, history);
      return { changed: history.length, conflicted };
    }), 6);
  }

  private async snapshots(ids: string[]): Promise<Map<string, StoredTier>> {
    const out = new Map<string, StoredTier>();
    const rows = await findStoredTiers(this.d.db, ids);
    const labels = new Map(this.d.policy.tiers.tiers.map((t, i) => [t.id, { label: t.label, rank: i }]));
    for (const r of rows) {
      out.set(r.externalUserId, {
        tier: r.tier, tierLabel: labels.get(r.tier)?.label ?? r.tier, rank: labels.get(r.tier)?.rank ?? 99,
        score: r.score, reasons: r.reasons, override: r.override, version: r.version, computedAt: r.computedAt,
      });
    }
    return out;
  }
}
