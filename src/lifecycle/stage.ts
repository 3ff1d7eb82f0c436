import type { ComplaintResolutionCode } from '../complaints/policy';
import { DEFAULT_TIME_ZONE } from '../policy/types';
import { dayCountAgoZh, daysAgoZh, daysBetween, formatDateZh, spanZh } from '../policy/zh';
import { ZoneCalendar } from '../policy/zone-calendar';
import { TiersConfig } from '../tiers/schema';
import { standingPurchases } from '../tiers/purchases';
import { tierLabel } from '../tiers/score';
import { LifecycleFacts, LifecycleResult, LifecycleSignal, LifecycleStage, STAGE_LABELS } from './types';

/**
 * Lifecycle stage with the signals behind it. "Quiet for too long" is relative to the tier:
 * a 核心 customer silent for 45 days is a warning, a 潜在 one silent for 45 days is normal.
 */

const DAY = 86_400_000;

/** `timeZone` only affects how dates are written in signals. */
export function lifecycleStage(
  facts: LifecycleFacts,
  now: Date,
  config: TiersConfig,
  timeZone = DEFAULT_TIME_ZONE,
): LifecycleResult {
  const nowMs = now.getTime();
  const cfg = config.lifecycle;
  // A purchase refunded in full is not a sign of life.
  const paid = standingPurchases(facts.orders, nowMs);
  const lastPurchase = paid.length ? Math.max(...paid.map((o) => o.at.getTime())) : null;
  const daysSincePurchase = lastPurchase === null ? null : daysBetween(lastPurchase, nowMs);
  const daysSinceInbound = facts.lastInboundAt ? Math.max(0, daysBetween(facts.lastInboundAt.getTime(), nowMs)) : null;
  const result = (stage: LifecycleStage, signals: LifecycleSignal[]): LifecycleResult => ({
    stage,
    label: STAGE_LABELS[stage],
    signals,
    daysSincePurchase,
    daysSinceInbound,
  });

  const ended = relationSignal(facts, nowMs, timeZone);
  if (ended) return result('lost', [ended]);

  // Norms fall back to the most patient tier's, so an unknown tier is never flagged too early.
  const norm = cfg.norms[facts.tier] ?? cfg.norms[config.tiers[config.tiers.length - 1].id];
  const who = `${tierLabel(facts.tier, config)}客户`;
  const daysSinceAdded = Math.max(0, daysBetween(facts.addedAt.getTime(), nowMs));
  // A prospect who never bought is judged on conversation alone; a buyer is alive if either
  // buying or talking is within the norm.
  const contactDays = daysSinceInbound ?? daysSinceAdded;
  const contactRatio = contactDays / norm.contactDays;
  const purchaseRatio = daysSincePurchase === null ? Infinity : daysSincePurchase / norm.purchaseDays;
  const inactivity = Math.min(contactRatio, purchaseRatio);

  const quiet: LifecycleSignal[] = [];
  if (daysSincePurchase !== null) {
    quiet.push({ code: 'NO_RECENT_PURCHASE', label: `已 ${spanZh(daysSincePurchase)}没有消费（${who}通常 ${norm.purchaseDays} 天内复购）` });
  }
  quiet.push({
    code: 'NO_RECENT_CONTACT',
    label:
      daysSinceInbound === null
        ? `加好友 ${spanZh(daysSinceAdded)}，一直没有来过消息（${who}通常 ${norm.contactDays} 天内有往来）`
        : `已 ${spanZh(daysSinceInbound)}没有来消息（${who}通常 ${norm.contactDays} 天内有往来）`,
  });

  if (inactivity >= cfg.lostRatio) return result('lost', quiet);
  if (inactivity >= cfg.dormantRatio) return result('dormant', quiet);

  const risks: LifecycleSignal[] = [];
  if (facts.openComplaint && facts.complaint?.unconfirmed) risks.push({ code: 'COMPLAINT_SUGGESTED', label: '客户消息里提到投诉，还没有确认' });
  else if (facts.openComplaint) risks.push({ code: 'OPEN_COMPLAINT', label: '有未处理完的投诉' });
  const aftermath = complaintAftermath(facts, lastPurchase, nowMs, cfg.complaintAftermathDays, timeZone);
  if (aftermath) risks.push(aftermath);
  if (facts.unansweredTouches >= cfg.unansweredAtRisk) {
    risks.push({ code: 'UNANSWERED_TOUCHES', label: `连续 ${facts.unansweredTouches} 次主动联系未获回复` });
  }
  const isNew = daysSinceAdded < cfg.newDays && paid.length <= 1;
  if (isNew && risks.length === 0) {
    return result('new', [{ code: 'NEW_CUSTOMER', label: daysSinceAdded === 0 ? '今天刚加的新客户' : daysSinceAdded === 1 ? '昨天刚加的新客户' : `加好友 ${daysSinceAdded} 天的新客户` }]);
  }
  const falling = fallingFrequency(paid.map((o) => o.at.getTime()), nowMs, config);
  if (falling) risks.push(falling);
  if (inactivity >= cfg.atRiskRatio) risks.push(...quiet);
  if (risks.length) return result('at_risk', risks);

  const recent = Math.min(daysSincePurchase ?? Infinity, daysSinceInbound ?? Infinity);
  const label = Number.isFinite(recent)
    ? `${dayCountAgoZh(recent)}有消费或来消息`
    : `加好友 ${spanZh(daysSinceAdded)}，还没有往来，仍在${who}的正常节奏内`;
  return result('active', [{ code: 'RECENT_ACTIVITY', label }]);
}

const UNHAPPY_ENDINGS: Partial<Record<ComplaintResolutionCode, (when: string) => string>> = {
  refunded: (when) => `投诉${when}以退款结束，之后还没有再消费`,
  unresolved: (when) => `投诉${when}关闭，问题没能解决，之后还没有再消费`,
};

/**
 * A complaint that ended in a refund or unresolved ("以后不会再买了") leaves the customer at risk:
 * closing it must not flip them to 活跃 on the strength of the complaint's own messages. The risk
 * lifts when they buy again after the close, or once `complaintAftermathDays` have passed.
 */
function complaintAftermath(facts: LifecycleFacts, lastPurchase: number | null, nowMs: number, days: number, timeZone: string): LifecycleSignal | null {
  const closed = facts.complaint?.lastClosedAt?.getTime();
  const ending = facts.complaint?.lastClosedResolution ? UNHAPPY_ENDINGS[facts.complaint.lastClosedResolution] : undefined;
  if (closed === undefined || !ending || nowMs - closed > days * DAY) return null;
  if (lastPurchase !== null && lastPurchase > closed) return null;
  const when = daysAgoZh(closed, nowMs, new ZoneCalendar(timeZone));
  return { code: 'COMPLAINT_AFTERMATH', label: ending(/^\d/.test(when) ? ` ${when}` : when) };
}

function relationSignal(facts: LifecycleFacts, nowMs: number, timeZone: string): LifecycleSignal | null {
  const at = facts.relationEndedAt;
  const when = at ? `（${formatDateZh(at.getTime(), new ZoneCalendar(timeZone), nowMs)}）` : '';
  switch (facts.relation) {
    case 'active':
      return null;
    case 'deleted_by_customer':
      return { code: 'CUSTOMER_DELETED', label: `客户删除了顾问${when}` };
    case 'deleted_by_rep':
      return { code: 'REP_DELETED', label: `顾问删除了客户${when}` };
    case 'ended':
      return { code: 'RELATION_ENDED', label: `好友关系已结束${when}` };
  }
}

/** Buying markedly less often than in the window before: an early churn sign that silence hides. */
function fallingFrequency(paidAt: number[], nowMs: number, config: TiersConfig): LifecycleSignal | null {
  const { windowDays, minPrevious, ratio } = config.lifecycle.frequencyDrop;
  const win = windowDays * DAY;
  const current = paidAt.filter((t) => t > nowMs - win).length;
  const previous = paidAt.filter((t) => t <= nowMs - win && t > nowMs - 2 * win).length;
  if (previous < minPrevious || current > previous * ratio) return null;
  return { code: 'FREQUENCY_FALLING', label: `近${windowDays}天下单 ${current} 次，此前${windowDays}天 ${previous} 次` };
}
