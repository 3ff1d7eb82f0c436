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

/** Why, as the operator reads it on the calendar (zh-CN; the code follows in brackets for searching the docs). */
const REASON_WORDS: Record<GroupReason, string> = {
  GROUP_NOT_FOUND: '系统里没有这个 chat id 的在用群（群可能已解散，或还没同步进来）',
  NO_OWNER: '这个群没有群主，没有人可以发送',
  TOO_LATE: '发送时间已过去太久，超过了这条内容允许顺延的时长（当时系统没有运行）',
  RELATION_ENDED: '群已解散',
  PLATFORM_QUOTA: '企业微信给这个群的群发次数已用完',
  MONTHLY_CAP: '这个群本月的发送次数已用完',
  WEEKLY_CAP: '这个群本周的发送次数已用完',
  DAILY_CAP: '这个群今天的发送次数已用完',
  MIN_GAP: '距这个群上一条群内容的间隔还不够',
  QUIET_HOURS: '正在群的免打扰时段内',
  OUTSIDE_SERVICE_WINDOW: '不在服务时间窗内',
  COMPLAINT_OPEN: '有投诉正在处理',
  COMPLAINT_COOLDOWN: '投诉刚处理完，还在冷静期',
  BACKOFF_PAUSED: '连续多次没有回应，暂停发送',
};

/** One sentence an operator reads: what happens to this group and why (times in `timeZone`). */
export function explainDecision(d: GroupDecision, occurrenceAt: number, timeZone: string): string {
  const t = (ms: number) => DateTime.fromMillis(ms, { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm');
  if (d.kind === 'send') return `${t(d.at)} 按时发送`;
  const why = d.reasons.map((r) => `${REASON_WORDS[r]}（${r}）`).join('；');
  if (d.kind === 'moved') return `从 ${t(occurrenceAt)} 顺延到 ${t(d.at)} 发送：${why}`;
  const next = d.nextAllowedAt === null ? '' : `；最早 ${t(d.nextAllowedAt)} 才能发，超出了这条内容允许顺延的时长`;
  return `${t(occurrenceAt)} 这一条不发送：${why}${next}`;
}
