import type { ScriptScope } from './types';

/** What the ranking knows about the customer: the card's next action, the stage and the tier. */
export interface RankContext {
  kind: string | null;
  stage: string | null;
  tier: string | null;
}

export interface Rankable {
  id: number;
  scope: ScriptScope;
  kinds: string[];
  stages: string[];
  tiers: string[];
  uses: number;
}

export interface Ranked<T> {
  script: T;
  score: number;
  /** Which of the customer's facts it matched: 'kind', 'stage', 'tier'. */
  matched: ('kind' | 'stage' | 'tier')[];
}

/** A script written for the next action outweighs one for the stage, which outweighs the tier. */
const WEIGHT = { kind: 4, stage: 2, tier: 1 } as const;
/** A rep's own script is worth a little more than a corp one that fits as well (they wrote it for this). */
const PERSONAL_BONUS = 0.5;

/**
 * The suggestions for one customer, best first. A script that names kinds, stages or tiers suits
 * only those: one written for complaints is never suggested to a customer with none, whatever its
 * use count. A script that names none suits everyone and ranks below those written for the case.
 * Ties go to the more used, then the older (lower id: the seeded library's own order). Pure.
 */
export function rankScripts<T extends Rankable>(scripts: T[], ctx: RankContext, limit = 3): Ranked<T>[] {
  const out: Ranked<T>[] = [];
  for (const s of scripts) {
    const matched: Ranked<T>['matched'] = [];
    let fits = true;
    for (const [facet, list, value] of [['kind', s.kinds, ctx.kind], ['stage', s.stages, ctx.stage], ['tier', s.tiers, ctx.tier]] as const) {
      if (list.length === 0) continue;
      if (value !== null && list.includes(value)) matched.push(facet);
      else fits = false;
    }
    if (!fits) continue;
    const score = matched.reduce((n, f) => n + WEIGHT[f], 0) + (s.scope === 'personal' ? PERSONAL_BONUS : 0);
    out.push({ script: s, score, matched });
  }
  out.sort((a, b) => b.score - a.score || b.script.uses - a.script.uses || a.script.id - b.script.id);
  return out.slice(0, limit);
}

/** Case-insensitive search over category, title and text; every space-separated word must appear. */
export function matchesQuery(s: { category: string; title: string; text: string }, q: string): boolean {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = `${s.category}\n${s.title}\n${s.text}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}
