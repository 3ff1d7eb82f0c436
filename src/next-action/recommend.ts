import { REASON_LABELS } from '../pressure/labels';
import { DEFAULT_TIME_ZONE } from '../policy/types';
import { formatWhenZh, renderTemplate } from '../policy/zh';
import { ZoneCalendar } from '../policy/zone-calendar';
import { buildCandidates, tidy, unconfirmedLabel } from './candidates';
import { NextActionConfig } from './schema';
import { ActionCandidate, FALLBACK_GIVE_SPACE_PRIORITY, NextActionFacts, NextActionResult, PRIORITY, relationEnded } from './types';

/**
 * One suggested next action with its reasons. "Give them space" (暂不打扰) is a real answer,
 * with the date contact becomes appropriate again, not the absence of one.
 */

const DAY = 86_400_000;

export function nextBestAction(facts: NextActionFacts, now: Date, config: NextActionConfig): NextActionResult {
  const t = now.getTime();
  const cal = new ZoneCalendar(facts.timeZone || DEFAULT_TIME_ZONE);
  let candidates = buildCandidates(facts, now, config);

  const space = deliberateSpace(facts, t, config, cal);
  if (space) {
    // Giving space blocks every proactive idea; answering a customer who writes never is.
    const why = space.reasons[0];
    candidates = candidates.map((c) => (c.kind === 'service' || !c.allowed ? c : { ...c, allowed: false, blockedBy: [why], until: space.until }));
    candidates.push(space);
  }
  candidates.sort((a, b) => b.priority - a.priority);

  // Answering the customer comes first, but past the service window only when care is allowed.
  const service = candidates.find((c) => c.kind === 'service' && c.allowed);
  const recommendation =
    service ?? space ?? candidates.find((c) => c.allowed) ?? fallbackSpace(facts, candidates, t, config, cal);
  if (recommendation.kind === 'give_space' && recommendation.laterMessage === undefined) {
    // What to say once contact is appropriate again: to read now, not to send now.
    // The held-back idea's own 话术, else a plain greeting (the revisit one): "换个方式、只问候不推销".
    const held = candidates.find((c) => c.kind !== 'give_space' && c.message)?.message;
    const greeting = tidy(renderTemplate(config.templates.revisit.message, { name: facts.customer.name }));
    recommendation.laterMessage = relationEnded(facts) ? null : held ?? (recommendation.until && greeting ? greeting : null);
  }
  if (!candidates.includes(recommendation)) candidates.push(recommendation);
  return { recommendation, candidates };
}

function giveSpace(config: NextActionConfig, facts: NextActionFacts, reasons: string[], until: Date | null, priority: number): ActionCandidate {
  return {
    kind: 'give_space',
    title: renderTemplate(config.templates.give_space.title, { name: facts.customer.name }),
    reasons,
    priority,
    message: null,
    category: null,
    allowed: true,
    blockedBy: [],
    until,
  };
}

/** Space chosen on purpose: the relation ended, or the customer stopped answering. */
function deliberateSpace(facts: NextActionFacts, t: number, config: NextActionConfig, cal: ZoneCalendar): ActionCandidate | null {
  if (relationEnded(facts)) {
    const signal = facts.lifecycle.signals.find((s) => ['CUSTOMER_DELETED', 'REP_DELETED', 'RELATION_ENDED'].includes(s.code));
    const why = facts.relation === undefined || facts.relation === 'active' ? signal?.label ?? ENDED_LABEL.ended : ENDED_LABEL[facts.relation];
    const s = giveSpace(config, facts, [why, '无法再发消息，可以补充跟进记录，或交给主管复盘'], null, PRIORITY.give_space);
    s.title = '已无法联系';
    s.laterMessage = null;
    return s;
  }
  if (facts.waiting && facts.waiting.count > 0 && facts.pressure.service.allowed) return null;

  const care = facts.pressure.care;
  const n = facts.unansweredTouches;
  if (!care.allowed && care.reasons.includes('BACKOFF_PAUSED')) {
    return giveSpace(config, facts, [`连续 ${n} 次主动联系未获回复`, '等客户先开口再联系'], null, PRIORITY.give_space);
  }
  if (n >= config.giveSpace.afterUnanswered && facts.lastProactiveAt) {
    const rest = facts.lastProactiveAt.getTime() + config.giveSpace.days * DAY;
    const pressureOk = care.allowed ? t : care.nextAllowedAt?.getTime() ?? null;
    if (t < rest || pressureOk === null || pressureOk > t) {
      const until = pressureOk === null ? null : allowedAtOrAfter(facts, new Date(Math.max(rest, pressureOk)));
      const when = until ? `${formatWhenZh(until.getTime(), t, cal)} 起可以再试一次，换个方式、只问候不推销` : '等客户先开口再联系';
      return giveSpace(config, facts, [`连续 ${n} 次主动联系未获回复`, `给客户一点空间：${when}`], until, PRIORITY.give_space);
    }
  }
  return null;
}

/** Nothing to do, or nothing allowed: say so, and say when. */
function fallbackSpace(facts: NextActionFacts, candidates: ActionCandidate[], t: number, config: NextActionConfig, cal: ZoneCalendar): ActionCandidate {
  const blocked = candidates.filter((c) => !c.allowed && c.category !== null && c.category !== 'service');
  if (blocked.length > 0) {
    const times = blocked.map((c) => c.until?.getTime() ?? null);
    const dated = times.filter((x): x is number => x !== null);
    const until = dated.length ? allowedAtOrAfter(facts, new Date(Math.min(...dated))) : null;
    const top = blocked[0];
    const reasons = [`「${top.title}」暂不合适：${top.blockedBy.join('、')}`];
    reasons.push(until ? `${formatWhenZh(until.getTime(), t, cal)} 起可以联系` : '等客户先开口再联系', ...quietHoursNote(facts));
    return giveSpace(config, facts, reasons, until, FALLBACK_GIVE_SPACE_PRIORITY);
  }
  const care = facts.pressure.care;
  const cadence = config.revisitCadenceDays[facts.tier.id];
  const lastTalk = Math.max(facts.lastCareAt?.getTime() ?? -Infinity, facts.lastInboundAt?.getTime() ?? -Infinity);
  let until: Date | null = null;
  if (cadence !== undefined && Number.isFinite(lastTalk)) until = new Date(lastTalk + cadence * DAY);
  if (!care.allowed && care.nextAllowedAt && (!until || care.nextAllowedAt > until)) until = care.nextAllowedAt;
  if (until) until = allowedAtOrAfter(facts, until);
  const reasons = ['近期没有需要联系的事，不必为联系而联系'];
  if (!care.allowed) reasons.push(...care.reasons.map((r) => unconfirmedLabel(REASON_LABELS[r], facts)));
  if (until) reasons.push(`下次回访：${formatWhenZh(until.getTime(), t, cal)}`);
  reasons.push(...quietHoursNote(facts));
  return giveSpace(config, facts, reasons, until, FALLBACK_GIVE_SPACE_PRIORITY);
}

/** At night most customers show 暂不打扰; a closing reason then says plainly why and what it means. */
function quietHoursNote(facts: NextActionFacts): string[] {
  const care = facts.pressure.care;
  return !care.allowed && care.reasons.includes('QUIET_HOURS') ? ['现在是客户的休息时间：不主动联系，客户来消息照常回复'] : [];
}

const ENDED_LABEL = {
  deleted_by_customer: '客户已把你从好友中删除',
  deleted_by_rep: '你已删除该客户',
  ended: '好友关系已结束',
} as const;

/**
 * A 暂不打扰 date is an instant the pressure policy allows (never 03:05 inside quiet hours):
 * the first allowed instant at or after `from`, when the caller can tell; else `from`.
 */
function allowedAtOrAfter(facts: NextActionFacts, from: Date): Date | null {
  return facts.careAllowedFrom ? facts.careAllowedFrom(from) : from;
}
