import { LifecycleResult, LifecycleStage, STAGE_LABELS } from './types';

/** One customer's lifecycle result with what losing them would cost. */
export interface ChurnCandidate {
  customerId: string;
  /** The rep who owns the relationship (WeCom userid). */
  repId: string;
  tier: string;
  /** Value at stake in yuan, e.g. spend over the last 365 days. */
  value: number;
  lifecycle: LifecycleResult;
}

export interface ChurnRiskEntry {
  customerId: string;
  tier: string;
  stage: LifecycleStage;
  stageLabel: string;
  valueAtRisk: number;
  /** zh-CN signal labels, most telling first as the lifecycle module ordered them. */
  signals: string[];
}

export interface RepChurnList {
  repId: string;
  /** Sum of valueAtRisk over the rep's whole list (before `limitPerRep`). */
  totalValueAtRisk: number;
  customers: ChurnRiskEntry[];
}

export interface ChurnRankingOptions {
  /** Stages that count as "at risk"; lost customers are history, not a to-do. */
  stages?: LifecycleStage[];
  /** Keep only the top N per rep (the sidebar and digest show a short list). */
  limitPerRep?: number;
}

// Still-talking customers come first on equal value: a personal touch saves them more often.
const STAGE_ORDER: Partial<Record<LifecycleStage, number>> = { at_risk: 0, dormant: 1, lost: 2, new: 3, active: 4 };

/**
 * Per-rep churn-risk lists, each sorted by value at risk (highest first), reps sorted by their
 * total. O(n log n) in the number of candidates.
 */
export function rankChurnRisk(candidates: ChurnCandidate[], options: ChurnRankingOptions = {}): RepChurnList[] {
  const stages = new Set(options.stages ?? ['at_risk', 'dormant']);
  const byRep = new Map<string, ChurnRiskEntry[]>();
  for (const c of candidates) {
    if (!stages.has(c.lifecycle.stage)) continue;
    const entry: ChurnRiskEntry = {
      customerId: c.customerId,
      tier: c.tier,
      stage: c.lifecycle.stage,
      stageLabel: STAGE_LABELS[c.lifecycle.stage],
      valueAtRisk: Math.max(0, c.value),
      signals: c.lifecycle.signals.map((s) => s.label),
    };
    const list = byRep.get(c.repId);
    if (list) list.push(entry);
    else byRep.set(c.repId, [entry]);
  }
  const out: RepChurnList[] = [];
  for (const [repId, list] of byRep) {
    list.sort(
      (a, b) =>
        b.valueAtRisk - a.valueAtRisk ||
        (STAGE_ORDER[a.stage] ?? 9) - (STAGE_ORDER[b.stage] ?? 9) ||
        (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0),
    );
    const total = list.reduce((s, e) => s + e.valueAtRisk, 0);
    out.push({ repId, totalValueAtRisk: total, customers: options.limitPerRep ? list.slice(0, options.limitPerRep) : list });
  }
  return out.sort((a, b) => b.totalValueAtRisk - a.totalValueAtRisk || (a.repId < b.repId ? -1 : 1));
}
