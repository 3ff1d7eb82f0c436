import { remainingBudget } from '../pressure/budget';
import { evaluate } from '../pressure/evaluate';
import { REASON_LABELS } from '../pressure/labels';
import type { PressurePolicy, PressureState } from '../pressure';
import type { TiersConfig } from '../tiers';
import { Formatter, tierTone } from './format';
import type { GroupProfileView, NextActionView } from './types';

/**
 * The group-chat view: who is in the group and how much they matter, how much group content the
 * caps still allow, and one next step for the group. Pure: profile-service loads the facts.
 */

export interface GroupFacts {
  chatId: string;
  name: string;
  ownerName: string;
  notice: string | null;
  createdAt: number | null;
  memberCount: number;
  customers: { externalUserId: string; name: string; tier: string; score: number }[];
  /** Group content Fencun sent to this group, epoch ms (the last two months). */
  contentSentAt: number[];
  recent: { at: number; name: string; change: 'join' | 'leave'; isCustomer: boolean; tier: string | null }[];
}

const DAY = 86_400_000;
const NEW_MEMBER_DAYS = 3;
const LEFT_HIGH_VALUE_DAYS = 7;

export function groupView(g: GroupFacts, now: Date, policy: PressurePolicy, tiers: TiersConfig, highValue: string[], f: Formatter): GroupProfileView {
  const t = now.getTime();
  const state: PressureState = {
    id: g.chatId, tier: '', timeZone: null, lastInboundAt: null, complaint: { openSince: null, lastClosedAt: null }, relation: 'active',
    touches: g.contentSentAt.map((at) => ({ at: new Date(at), category: 'group_content' })),
  };
  const verdict = evaluate(state, 'group_content', now, policy);
  const budget = remainingBudget(state, 'group_content', now, policy);
  const cal = f.cal.windows(t);
  const count = (from: number) => g.contentSentAt.filter((x) => x >= from && x <= t).length;
  const left: string[] = [];
  if (budget.day !== null) left.push(`今天还可发 ${budget.day} 条`);
  if (budget.week !== null) left.push(`本周还可发 ${budget.week} 条`);
  const nextAllowedAt = verdict.allowed ? null : verdict.nextAllowedAt;
  const headline = verdict.allowed
    ? left.join('，') || '可以发送群内容'
    : nextAllowedAt ? `下次可发群内容：${f.when(nextAllowedAt.getTime())}` : '暂不发送群内容';
  const lines = [`已发：今天 ${count(cal.dayStart)} 条 · 本周 ${count(cal.weekStart)} 条 · 本月 ${count(cal.monthStart)} 条`];
  if (!verdict.allowed) lines.push(verdict.reasons.map((r) => REASON_LABELS[r]).join('、'));
  if (budget.month !== null) lines.push(`本月还可发 ${budget.month} 条`);

  const byTier = tiers.tiers.map((tier, rank) => {
    const members = g.customers.filter((c) => c.tier === tier.id).sort((a, b) => b.score - a.score);
    return { id: tier.id, label: tier.label, tone: tierTone(rank, tiers.tiers.length), count: members.length, names: members.slice(0, 3).map((c) => c.name) };
  });

  return {
    group: {
      chatId: g.chatId,
      name: g.name || '未命名客户群',
      ownerName: g.ownerName,
      notice: g.notice,
      memberCount: g.memberCount,
      customerCount: g.customers.length,
      createdLabel: g.createdAt ? f.date(g.createdAt) : null,
    },
    tiers: byTier,
    content: {
      sentToday: count(cal.dayStart),
      sentThisWeek: count(cal.weekStart),
      sentThisMonth: count(cal.monthStart),
      headline,
      lines,
      nextAllowedAt: nextAllowedAt ? nextAllowedAt.toISOString() : null,
    },
    recent: g.recent.slice(0, 8).map((r) => ({ at: new Date(r.at).toISOString(), atLabel: f.past(r.at), name: r.name, change: r.change, isCustomer: r.isCustomer })),
    nextAction: groupAction(g, verdict.allowed, nextAllowedAt, left, byTier, highValue, t, f),
    generatedAt: now.toISOString(),
  };
}

/**
 * One step for the group, in doctrine order: a valuable customer who just left deserves a
 * personal word (in a 1:1 chat, not in the group); new members deserve a welcome; otherwise
 * content only while the group's caps allow it, and quiet when they do not.
 */
function groupAction(
  g: GroupFacts, allowed: boolean, nextAllowedAt: Date | null, left: string[],
  byTier: GroupProfileView['tiers'], highValue: string[], t: number, f: Formatter,
): NextActionView {
  const base = { allowed: true, blockedBy: [] as string[], until: null, untilLabel: null, reminderId: null, laterMessage: null };
  const gone = g.recent.filter((r) => r.change === 'leave' && r.isCustomer && r.tier && highValue.includes(r.tier) && t - r.at <= LEFT_HIGH_VALUE_DAYS * DAY);
  if (gone.length > 0) {
    return {
      ...base, kind: 'group_quiet', title: `私聊问候退群的${gone.length > 1 ? `${gone.length} 位` : ''}重要客户`, message: null,
      reasons: [`${gone.map((r) => r.name).slice(0, 3).join('、')} ${f.past(gone[0].at)}退出了本群`, '群消息可能打扰到了他们：请在单聊中问候，不要在群里提及'],
    };
  }
  const important = byTier.filter((x) => highValue.includes(x.id)).reduce((s, x) => s + x.count, 0);
  const newcomers = g.recent.filter((r) => r.change === 'join' && r.isCustomer && t - r.at <= NEW_MEMBER_DAYS * DAY);
  if (!allowed) {
    const reasons = ['群内容的发送次数或时间已到上限，今天让群安静一点'];
    if (nextAllowedAt) reasons.push(`${f.when(nextAllowedAt.getTime())}起可以再发`);
    return { ...base, kind: 'group_quiet', title: '暂不发群内容', message: null, reasons, until: nextAllowedAt?.toISOString() ?? null, untilLabel: nextAllowedAt ? f.when(nextAllowedAt.getTime()) : null };
  }
  if (newcomers.length > 0) {
    return {
      ...base, kind: 'group_content', title: `欢迎 ${newcomers.length} 位新成员`,
      reasons: [`${newcomers.slice(0, 3).map((r) => r.name).join('、')} ${f.past(newcomers[0].at)} 入群`, '一句欢迎让新成员知道有问题可以找谁'],
      message: `欢迎新朋友加入「${g.name}」！有任何问题可以直接在群里问，或者私信我，我会尽快回复～`,
    };
  }
  const reasons = [left.join('，') || '今天还可以发群内容'];
  if (important > 0) reasons.push(`群里有 ${important} 位重要客户，内容宁少勿滥，发真正有用的`);
  return { ...base, kind: 'group_content', title: '可以发一条有用的内容', reasons, message: null };
}
