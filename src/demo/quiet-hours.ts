import { complaintPressure } from '../complaints/policy';
import { evaluate, type PressurePolicy } from '../pressure';

/**
 * One plain line for the demo's start-up: is it quiet hours for customers now, for which tiers,
 * and what that means. Asked of the real pressure rules (a customer with no history, per tier),
 * so it can never disagree with what the sidebar then shows.
 */
export function quietHoursNote(policy: PressurePolicy, now: Date, tierLabels: Record<string, string> = {}): string | null {
  const windows = new Map<string, string[]>();
  for (const [tier, rule] of Object.entries(policy.config.tiers)) {
    const v = evaluate({ id: 'demo', tier, timeZone: null, touches: [], lastInboundAt: null, complaint: complaintPressure([]), relation: 'active' }, 'care', now, policy);
    if (!v.allowed && v.reasons.includes('QUIET_HOURS') && rule.quietHours) {
      const w = `${rule.quietHours.start}–${rule.quietHours.end}`;
      (windows.get(w) ?? windows.set(w, []).get(w)!).push(tierLabels[tier] ?? tier);
    }
  }
  if (windows.size === 0) return null;
  const quiet = [...windows].map(([w, tiers]) => `${tiers.join('/')} ${w}`);
  return `quiet hours now for customers (${quiet.join(', ')}): the sidebar suggests 暂不打扰 for proactive contact; replies to customers who write are never held back`;
}
