import { formatDateZh, formatWhenZh } from '../policy/zh';
import { CalendarCache } from '../policy/zone-calendar';
import { remainingBudget } from './budget';
import { evaluateWith } from './evaluate';
import { prepare, resolveRequest } from './prepare';
import { PressurePolicy, tierRuleFor } from './schema';
import { PressureState, Verdict } from './types';

/** The sidebar's one-glance answer to "how much more can I contact this customer?". */
export interface PressureSummary {
  /** open: go ahead; wait: not now, see nextAllowedAt; paused: wait for an event; ended: cannot contact. */
  tone: 'open' | 'wait' | 'paused' | 'ended';
  /** zh-CN, e.g. "本周还可主动联系 1 次", "下次可联系：周四 10:00", "暂不打扰：投诉处理中". */
  headline: string;
  /** Secondary zh-CN lines: service window, marketing status, back-off. */
  lines: string[];
  /** When proactive care becomes allowed, if it is not now and waiting is enough. */
  nextAllowedAt: Date | null;
}

export function describePressure(state: PressureState, at: Date, policy: PressurePolicy): PressureSummary {
  const cals = new CalendarCache();
  const local = cals.get(state.timeZone || policy.timeZone);
  const t = at.getTime();
  const care = evaluateWith(state, 'care', at, policy, cals);
  const marketing = evaluateWith(state, 'marketing', at, policy, cals);
  const service = evaluateWith(state, 'service', at, policy, cals);
  const unanswered = prepare(state, resolveRequest('care'), policy, cals).unanswered;
  const rule = tierRuleFor(policy, state.tier);

  if (state.relation !== 'active') {
    return { tone: 'ended', headline: '已解除好友关系，无法联系', lines: [], nextAllowedAt: null };
  }
  const lines: string[] = [];
  if (service.allowed && state.lastInboundAt) {
    lines.push(`客户${ago(t - state.lastInboundAt.getTime())}来消息：回复不受限制`);
  }
  if (state.complaint.openSince) {
    // A keyword suggestion is not a complaint until a rep confirms it; marketing waits either way.
    if (state.complaint.unconfirmed) {
      return { tone: 'paused', headline: '暂不营销：客户可能在投诉，请先确认', lines: [...lines, '确认前不发营销'], nextAllowedAt: null };
    }
    return { tone: 'paused', headline: '暂不打扰：投诉处理中', lines: [...lines, '只跟进投诉，不发营销'], nextAllowedAt: null };
  }
  lines.push(marketingLine(marketing, state, at, policy, cals));
  if (unanswered >= rule.backoff.slowAfter && unanswered < rule.backoff.pauseAfter) {
    lines.push(`已连续 ${unanswered} 次未回复，联系间隔已加长`);
  }

  if (care.allowed) return { tone: 'open', headline: budgetHeadline(state, at, policy), lines, nextAllowedAt: null };
  if (care.reasons.includes('BACKOFF_PAUSED')) {
    return { tone: 'paused', headline: `暂不打扰：连续 ${unanswered} 次未回复，等客户先开口`, lines, nextAllowedAt: null };
  }
  if (care.nextAllowedAt) {
    return { tone: 'wait', headline: `下次可联系：${formatWhenZh(care.nextAllowedAt.getTime(), t, local)}`, lines, nextAllowedAt: care.nextAllowedAt };
  }
  return { tone: 'paused', headline: '暂不主动联系：该层级不安排主动关怀', lines, nextAllowedAt: null };
}

function budgetHeadline(state: PressureState, at: Date, policy: PressurePolicy): string {
  const b = remainingBudget(state, 'care', at, policy);
  if (b.week !== null) return `本周还可主动联系 ${b.week} 次`;
  if (b.month !== null) return `本月还可主动联系 ${b.month} 次`;
  return '可以主动联系';
}

function marketingLine(v: Verdict, state: PressureState, at: Date, policy: PressurePolicy, cals: CalendarCache): string {
  const local = cals.get(state.timeZone || policy.timeZone);
  if (v.allowed) {
    const month = remainingBudget(state, 'marketing', at, policy).month;
    return month === null ? '营销：可发送' : `本月还可推送营销 ${month} 次`;
  }
  const closed = state.complaint.lastClosedAt;
  if (v.reasons.includes('COMPLAINT_COOLDOWN') && closed) {
    const until = closed.getTime() + tierRuleFor(policy, state.tier).cooldownMs;
    return `营销暂停：投诉冷静期至 ${formatDateZh(until, local, at.getTime())}`;
  }
  if (v.reasons.includes('BACKOFF_PAUSED')) return '营销暂停：等客户先开口';
  if (v.nextAllowedAt === null) return '该层级不发营销';
  if (v.reasons.includes('MONTHLY_CAP') || v.reasons.includes('PLATFORM_QUOTA')) {
    return `本月营销次数已用完，${formatDateZh(v.nextAllowedAt.getTime(), local, at.getTime())} 起可发`;
  }
  return `营销：下次可发 ${formatWhenZh(v.nextAllowedAt.getTime(), at.getTime(), local)}`;
}

function ago(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return '刚刚';
  if (minutes < 60) return ` ${minutes} 分钟前`;
  return ` ${Math.floor(minutes / 60)} 小时前`;
}
