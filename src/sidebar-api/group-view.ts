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
  customers: { externalUserId: string; name: string; tier: string; score: number; complaint: GroupMemberComplaint | null }[];
  /** Group content Fencun sent to this group, epoch ms (the last two months). */
  contentSentAt: number[];
  recent: { at: number; name: string; change: 'join' | 'leave'; isCustomer: boolean; tier: string | null }[];
}

/** A member's complaint in progress (since when; confirmed by a rep or only suggested by keywords). */
export interface GroupMemberComplaint {
  since: number;
  confirmed: boolean;
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
  const capsHeadline = verdict.allowed
    ? left.join('，') || '可以发送群内容'
    : nextAllowedAt ? `下次可发群内容：${f.when(nextAllowedAt.getTime())}` : '暂不发送群内容';
  const sent = { day: count(cal.dayStart), week: count(cal.weekStart), month: count(cal.monthStart) };
  const why = verdict.allowed ? null : whyNotNow(verdict.reasons, sent);
  const complaining = g.customers.filter((c) => c.complaint).sort((a, b) => a.complaint!.since - b.complaint!.since);
  // A complaint in the group outranks what the caps would still allow: the strip says so first
  // (and the caps move to the second line), so it never reads "还可发 1 条" above "先不发".
  const headline = complaining.length ? `暂不发营销：${names(complaining)}的投诉还没处理完` : capsHeadline;
  const tone = complaining.length ? 'paused' : verdict.allowed ? 'open' : 'wait';
  // Most telling first: the page shows the first three.
  const lines: string[] = [];
  if (complaining.length) lines.push(capsHeadline);
  if (why) lines.push(why);
  lines.push(`已发：今天 ${sent.day} 条 · 本周 ${sent.week} 条 · 本月 ${sent.month} 条`);
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
      tone,
      headline,
      lines,
      nextAllowedAt: nextAllowedAt ? nextAllowedAt.toISOString() : null,
    },
    recent: g.recent.slice(0, 8).map((r) => ({ at: new Date(r.at).toISOString(), atLabel: f.past(r.at), name: r.name, change: r.change, isCustomer: r.isCustomer })),
    nextAction: groupAction(g, { why, nextAllowedAt, left, complaining }, byTier, highValue, t, f),
    generatedAt: now.toISOString(),
  };
}

/**
 * Why the group may not get content now, in the words of the actual cause: quiet hours are not
 * "the cap", and "到上限" is only said with the count that reached it.
 */
function whyNotNow(reasons: string[], sent: { day: number; week: number; month: number }): string {
  if (reasons.includes('QUIET_HOURS')) return '现在是休息时间，群里不发内容';
  if (reasons.includes('DAILY_CAP')) return `今天已发 ${sent.day} 条群内容，到了每天的上限`;
  if (reasons.includes('WEEKLY_CAP')) return `本周已发 ${sent.week} 条群内容，到了每周的上限`;
  if (reasons.includes('MONTHLY_CAP')) return `本月已发 ${sent.month} 条群内容，到了每月的上限`;
  if (reasons.includes('PLATFORM_QUOTA')) return REASON_LABELS.PLATFORM_QUOTA;
  if (reasons.includes('MIN_GAP')) return '距上一条群内容太近';
  return reasons.map((r) => REASON_LABELS[r as keyof typeof REASON_LABELS] ?? r).join('、') || '暂不发送群内容';
}

/** A number gets a space on each side in running Chinese text ("2 天前"); 刚刚/昨天 do not. */
function spaced(when: string): string {
  return `${/^\d/.test(when) ? ' ' : ''}${when}${/\d$/.test(when) ? ' ' : ''}`;
}

function names(xs: { name: string }[]): string {
  return xs.slice(0, 3).map((x) => x.name).join('、') + (xs.length > 3 ? ` 等 ${xs.length} 位客户` : '');
}

/**
 * One step for the group, in doctrine order: a member with a complaint in progress is followed
 * up 1:1 and the group gets no marketing meanwhile (it reaches them too); a valuable customer who
 * just left deserves a personal word (in a 1:1 chat, not in the group); new members deserve a
 * welcome; otherwise content only when there is something worth sending — never "send something".
 */
function groupAction(
  g: GroupFacts,
  now: { why: string | null; nextAllowedAt: Date | null; left: string[]; complaining: GroupFacts['customers'] },
  byTier: GroupProfileView['tiers'], highValue: string[], t: number, f: Formatter,
): NextActionView {
  const base = { allowed: true, blockedBy: [] as string[], until: null, untilLabel: null, reminderId: null, laterMessage: null };
  if (now.complaining.length > 0) {
    const first = now.complaining[0];
    const confirmed = now.complaining.some((c) => c.complaint!.confirmed);
    return {
      ...base, kind: 'group_quiet', title: confirmed ? `先在单聊跟进${names(now.complaining)}的投诉` : `先在单聊问问${names(now.complaining)}遇到的问题`, message: null,
      reasons: [
        confirmed ? `${first.name}的投诉${spaced(f.past(first.complaint!.since))}提出，还在处理中` : `${first.name}${spaced(f.past(first.complaint!.since))}的消息可能是投诉，请在单聊中确认`,
        '群里的内容他们也会看到：处理完之前群里不发营销，也不要在群里提及',
      ],
    };
  }
  const gone = g.recent.filter((r) => r.change === 'leave' && r.isCustomer && r.tier && highValue.includes(r.tier) && t - r.at <= LEFT_HIGH_VALUE_DAYS * DAY);
  if (gone.length > 0) {
    return {
      ...base, kind: 'group_quiet', title: `私聊问候退群的${gone.length > 1 ? `${gone.length} 位` : ''}重要客户`, message: null,
      reasons: [`${gone.map((r) => r.name).slice(0, 3).join('、')} ${f.past(gone[0].at)}退出了本群`, '群消息可能打扰到了他们：请在单聊中问候，不要在群里提及'],
    };
  }
  const important = byTier.filter((x) => highValue.includes(x.id)).reduce((s, x) => s + x.count, 0);
  const newcomers = g.recent.filter((r) => r.change === 'join' && r.isCustomer && t - r.at <= NEW_MEMBER_DAYS * DAY);
  if (now.why) {
    const reasons = [now.why];
    if (now.nextAllowedAt) reasons.push(`${f.when(now.nextAllowedAt.getTime())} 起可以再发`);
    const until = now.nextAllowedAt;
    return { ...base, kind: 'group_quiet', title: '暂不发群内容', message: null, reasons, until: until?.toISOString() ?? null, untilLabel: until ? f.when(until.getTime()) : null };
  }
  if (newcomers.length > 0) {
    return {
      ...base, kind: 'group_content', title: `欢迎 ${newcomers.length} 位新成员`,
      reasons: [`${newcomers.slice(0, 3).map((r) => r.name).join('、')} ${f.past(newcomers[0].at)} 入群`, '一句欢迎让新成员知道有问题可以找谁'],
      message: `欢迎新朋友加入「${g.name}」！有任何问题可以直接在群里问，或者私信我，我会尽快回复～`,
    };
  }
  // Nothing Fencun knows of is waiting to be sent: say so rather than ask for "something useful".
  const reasons = [`${now.left.join('，') || '今天还可以发群内容'}，但现在没有要发的内容`, '有真正有用的新品、活动或答疑再发，不必为发而发'];
  if (important > 0) reasons.push(`群里有 ${important} 位重要客户，内容宁少勿滥`);
  return { ...base, kind: 'group_quiet', title: '今天不必发群内容', reasons, message: null };
}
