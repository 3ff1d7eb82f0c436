import { TierReason, TierResult } from './types';

/** What the history needs from the previously stored result. */
export type TierSnapshot = Pick<TierResult, 'tier' | 'tierLabel' | 'rank' | 'score' | 'reasons' | 'override'>;

export interface TierChange {
  /** True when this recomputation belongs in the tier history. */
  record: boolean;
  from: string | null;
  to: string;
  direction: 'initial' | 'up' | 'down' | 'same';
  /** zh-CN lines explaining the change, the tier move first. */
  reasons: string[];
}

/**
 * Decides whether a recomputed tier is history. Nightly recomputation moves scores by a point
 * here and there; recording those would bury the moves that matter, so only a tier change or a
 * manual override being set, changed or lifted is recorded.
 */
export function diffTier(previous: TierSnapshot | null, next: TierResult): TierChange {
  if (!previous) {
    return {
      record: true,
      from: null,
      to: next.tier,
      direction: 'initial',
      reasons: [`首次定级：${next.tierLabel}（${next.score} 分）`, ...topReasons(next.reasons)],
    };
  }
  const tierChanged = previous.tier !== next.tier;
  const overrideChanged = overrideKey(previous) !== overrideKey(next);
  const direction = !tierChanged ? 'same' : next.rank < previous.rank ? 'up' : 'down';
  const reasons: string[] = [];
  if (tierChanged) reasons.push(`${previous.tierLabel} → ${next.tierLabel}（${previous.score} → ${next.score} 分）`);
  if (overrideChanged) {
    if (next.override) reasons.push(`手动调整：设为「${next.tierLabel}」，${next.override.reason}（${next.override.author}）`);
    else reasons.push('手动调整已到期或被撤销，恢复按得分定级');
  }
  if (tierChanged || overrideChanged) reasons.push(...factorChanges(previous.reasons, next.reasons));
  return { record: tierChanged || overrideChanged, from: previous.tier, to: next.tier, direction, reasons };
}

function overrideKey(r: Pick<TierResult, 'override'>): string {
  const o = r.override;
  return o ? `${o.tier}|${o.author}|${o.setAt.getTime()}|${o.expiresAt?.getTime() ?? ''}` : '';
}

/** Factors whose points moved, biggest move first, e.g. "近365天消费 ¥12,400（+10 分）". */
function factorChanges(before: TierReason[], after: TierReason[]): string[] {
  const key = (r: TierReason) => (r.code === 'TAG' ? `TAG:${r.label}` : r.code);
  const old = new Map(before.filter((r) => r.code !== 'MANUAL_OVERRIDE').map((r) => [key(r), r.points]));
  const moves: { label: string; delta: number }[] = [];
  for (const r of after) {
    if (r.code === 'MANUAL_OVERRIDE') continue;
    const delta = r.points - (old.get(key(r)) ?? 0);
    old.delete(key(r));
    if (delta !== 0) moves.push({ label: r.label, delta });
  }
  for (const [k, points] of old) {
    if (points !== 0) moves.push({ label: k.startsWith('TAG:') ? `${k.slice(4)}已移除` : k, delta: -points });
  }
  return moves
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
    .map((m) => `${m.label}（${m.delta > 0 ? '+' : ''}${m.delta} 分）`);
}

function topReasons(reasons: TierReason[]): string[] {
  return reasons
    .filter((r) => r.points !== 0)
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
    .slice(0, 3)
    .map((r) => `${r.label}（${r.points > 0 ? '+' : ''}${r.points} 分）`);
}
