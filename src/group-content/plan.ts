import { DateTime } from 'luxon';
import { evaluate, type PressurePolicy, type PressureState, type ReasonCode } from '../pressure';
import type { GroupDecision, GroupReason, GroupRef } from './types';

/**
 * The group-content plan: each (occurrence, group) judged by the pressure policy's group rule
 * (config/pressure.json `group`: caps per day/week/month, min gap, quiet hours) and WeCom's group
 * quota (`platform.massQuota`, Beijing time), in time order, each admitted post counted against
 * the group before the next is judged. Pure: the answer depends only on the input.
 *
 * A post the rules stop is moved to the next allowed instant if that is within the post's
 * `moveWithinHours` of its scheduled time, and skipped otherwise; either way with its reasons,
 * the first of them in GROUP_REASON_ORDER (the longest-lived obstacle first, so the reason
 * shown is the one that explains the move or the skip).
 */

export const GROUP_REASON_ORDER: GroupReason[] = [
  'GROUP_NOT_FOUND', 'NO_OWNER', 'TOO_LATE', 'RELATION_ENDED',
  'PLATFORM_QUOTA', 'MONTHLY_CAP', 'WEEKLY_CAP', 'DAILY_CAP', 'MIN_GAP', 'QUIET_HOURS',
];

export interface PlanOccurrence {
  postId: number;
  /** The scheduled instant (epoch ms). */
  at: number;
  moveWithinMs: number;
  /** The groups the target selects now. */
  groups: GroupRef[];
  /** Chat ids the post names explicitly that Fencun does not know as active groups. */
  missing: string[];
}

export interface PlannedOccurrence {
  postId: number;
  occurrenceAt: number;
  decisions: GroupDecision[];
}

/** States are not changed: each group's admitted posts are counted on a copy. */
export function planOccurrences(i: { occurrences: PlanOccurrence[]; states: Map<string, PressureState>; policy: PressurePolicy; now: number }): PlannedOccurrence[] {
  const states = new Map<string, PressureState>();
  const stateOf = (chatId: string): PressureState => {
    let s = states.get(chatId);
    if (!s) {
      const given = i.states.get(chatId);
      s = given ? { ...given, touches: [...given.touches] } : emptyGroupState(chatId);
      states.set(chatId, s);
    }
    return s;
  };
  const sorted = [...i.occurrences].sort((a, b) => a.at - b.at || a.postId - b.postId);
  return sorted.map((o) => {
    const decisions: GroupDecision[] = o.missing.map((chatId) => skipped(chatId, null, ['GROUP_NOT_FOUND'], null));
    for (const g of [...o.groups].sort((a, b) => (a.chatId < b.chatId ? -1 : a.chatId > b.chatId ? 1 : 0))) {
      if (!g.ownerUserId) {
        decisions.push(skipped(g.chatId, null, ['NO_OWNER'], null));
        continue;
      }
      const at = Math.max(o.at, i.now);
      if (at - o.at > o.moveWithinMs) {
        decisions.push(skipped(g.chatId, g.ownerUserId, ['TOO_LATE'], null));
        continue;
      }
      const state = stateOf(g.chatId);
      const v = evaluate(state, 'group_content', new Date(at), i.policy);
      let d: GroupDecision;
      if (v.allowed) d = { kind: 'send', chatId: g.chatId, owner: g.ownerUserId, at };
      else {
        const reasons = orderReasons(v.reasons);
        const next = v.nextAllowedAt?.getTime() ?? null;
        d = next !== null && next - o.at <= o.moveWithinMs
          ? { kind: 'moved', chatId: g.chatId, owner: g.ownerUserId, at: next, reason: reasons[0], reasons }
          : skipped(g.chatId, g.ownerUserId, reasons, next);
      }
      if (d.kind !== 'skipped') state.touches.push({ at: new Date(d.at), category: 'group_content' });
      decisions.push(d);
    }
    return { postId: o.postId, occurrenceAt: o.at, decisions };
  });
}

function skipped(chatId: string, owner: string | null, reasons: GroupReason[], nextAllowedAt: number | null): GroupDecision {
  return { kind: 'skipped', chatId, owner, reason: reasons[0], reasons, nextAllowedAt };
}

export function orderReasons(reasons: (ReasonCode | GroupReason)[]): GroupReason[] {
  const rank = (r: GroupReason) => {
    const i = GROUP_REASON_ORDER.indexOf(r);
    return i === -1 ? GROUP_REASON_ORDER.length : i;
  };
  return [...new Set(reasons)].sort((a, b) => rank(a) - rank(b));
}

/** A group as pressure sees it: no tier, no complaints, the corp's time zone; only its posts count. */
export function emptyGroupState(chatId: string): PressureState {
  return { id: chatId, tier: '', timeZone: null, touches: [], lastInboundAt: null, complaint: { openSince: null, lastClosedAt: null }, relation: 'active' };
}

const REASON_WORDS: Record<GroupReason, string> = {
  GROUP_NOT_FOUND: 'Fencun knows no active group with this chat id',
  NO_OWNER: 'the group has no owner to send it',
  TOO_LATE: 'its time passed longer ago than the post may be moved (Fencun was not running)',
  RELATION_ENDED: 'the group is gone',
  PLATFORM_QUOTA: 'WeCom\'s mass-message quota for the group is used up',
  MONTHLY_CAP: 'the group\'s monthly cap is reached',
  WEEKLY_CAP: 'the group\'s weekly cap is reached',
  DAILY_CAP: 'the group\'s daily cap is reached',
  MIN_GAP: 'the minimum gap since the group\'s last post has not passed',
  QUIET_HOURS: 'it falls in the groups\' quiet hours',
  OUTSIDE_SERVICE_WINDOW: 'outside the service window',
  COMPLAINT_OPEN: 'a complaint is open',
  COMPLAINT_COOLDOWN: 'a complaint cooldown runs',
  BACKOFF_PAUSED: 'back-off',
};

/** One sentence an operator reads: what happens to this group and why. */
export function explainDecision(d: GroupDecision, occurrenceAt: number, timeZone: string): string {
  const t = (ms: number) => DateTime.fromMillis(ms, { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm');
  if (d.kind === 'send') return `sent at ${t(d.at)} (${timeZone})`;
  const why = d.reasons.map((r) => `${r} (${REASON_WORDS[r]})`).join(', ');
  if (d.kind === 'moved') return `moved from ${t(occurrenceAt)} to ${t(d.at)} (${timeZone}): ${why}`;
  const next = d.nextAllowedAt === null ? '' : `; next allowed ${t(d.nextAllowedAt)}, beyond the post's move limit`;
  return `skipped the post of ${t(occurrenceAt)} (${timeZone}): ${why}${next}`;
}
