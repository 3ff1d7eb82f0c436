import type { Complaint } from '../complaints/policy';
import type { ContactProfile, Follow } from '../contacts/types';
import type { LifecycleResult } from '../lifecycle';
import type { ActionCandidate } from '../next-action/types';
import type { StoredOrder } from '../orders/repository';
import type { PressureSummary } from '../pressure';
import type { TierResult } from '../tiers';
import { Formatter, tierTone } from './format';
import type { SidebarReminder } from './reminders-port';
import type { RelationStatus } from '../policy/types';
import type { ContactProfileView, NextActionView, OrdersSummaryView, TagView, TimelinePageView } from './types';

const RELATION_NOTICE = {
  deleted_by_customer: '客户已把你从好友中删除',
  deleted_by_rep: '你已删除该客户',
  ended: '你和客户已不是好友',
} as const;

/** Pure mapping from what profile-service assembled to the JSON the page renders. */

export interface ContactParts {
  f: Formatter;
  tierCount: number;
  contact: ContactProfile | null;
  externalUserId: string;
  /** The relation the viewer sees the customer through (their own first). */
  primary: Follow | null;
  ownerName: string | null;
  tagGroups: Map<string, string>;
  tier: TierResult;
  lifecycle: LifecycleResult;
  pressure: PressureSummary;
  next: ActionCandidate;
  reminders: SidebarReminder[];
  storedOrders: StoredOrder[];
  timeline: TimelinePageView;
  /** Complaints not closed yet: suggested (status open) or confirmed. */
  complaints: { complaint: Complaint; excerpt: string | null }[];
  /** Names of the reps who filed complaints, by userid ("你" for the viewer). */
  complaintAuthors: Map<string, string>;
  recentOrders: number;
  orderWindowDays: number;
}

const DAY = 86_400_000;
const TAG_KIND: Record<number, TagView['kind']> = { 1: 'corp', 2: 'personal', 3: 'rule' };

export function contactView(p: ContactParts): ContactProfileView {
  const { f, primary, contact } = p;
  const relation = viewerRelation(primary ?? undefined);
  const endedAt = primary?.status === 'ended' && primary.endedAt ? f.date(primary.endedAt) : null;
  return {
    contact: {
      externalUserId: p.externalUserId,
      name: contact?.name || primary?.remark || p.externalUserId,
      avatar: secureAvatar(contact?.avatar),
      remark: primary?.remark && primary.remark !== contact?.name ? primary.remark : null,
      corpName: primary?.remarkCorpName || contact?.corpName || null,
      kind: contact?.type === 2 ? 'wecom' : 'wechat',
      addedLabel: primary?.addedAt ? f.date(primary.addedAt) : null,
      ownerName: p.ownerName,
      relation,
      relationNotice: relation === 'active' ? null : `${RELATION_NOTICE[relation]}${endedAt ? `（${endedAt}）` : ''}，无法再发消息。可以查看往来记录、补充跟进记录。`,
    },
    tags: (primary?.tags ?? []).map((t) => ({
      id: t.tagId,
      name: t.name ?? t.tagId.replace(/^personal:/, ''),
      group: p.tagGroups.get(t.tagId) ?? (t.type === 2 ? '个人标签' : ''),
      kind: TAG_KIND[t.type] ?? 'corp',
    })),
    tier: {
      id: p.tier.tier,
      label: p.tier.tierLabel,
      tone: tierTone(p.tier.rank, p.tierCount),
      score: p.tier.score,
      reasons: p.tier.reasons.map((r) => ({ label: r.label, points: r.points })),
      override: p.tier.override ? { label: p.tier.tierLabel, reason: p.tier.override.reason, author: p.tier.override.author } : null,
    },
    lifecycle: { stage: p.lifecycle.stage, label: p.lifecycle.label, signals: p.lifecycle.signals.map((s) => s.label) },
    pressure: relation === 'active' && p.next.kind === 'give_space' && p.next.until && (p.pressure.tone === 'open' || p.pressure.tone === 'wait')
      && p.next.until.getTime() > (p.pressure.nextAllowedAt?.getTime() ?? f.nowMs)
      // Giving space is stricter than the caps: the strip says the card's date, not an earlier one.
      ? { tone: 'wait', headline: `暂不打扰：${f.when(p.next.until.getTime())} 起再联系`, lines: p.pressure.lines, nextAllowedAt: p.next.until.toISOString() }
      : relation !== 'active'
      // Nothing is left to count: no "本周还可主动联系 1 次" for someone who cannot be reached.
      ? { tone: 'ended', headline: '已无法联系', lines: [], nextAllowedAt: null }
      : {
        tone: p.pressure.tone,
        headline: p.pressure.headline,
        lines: p.pressure.lines,
        nextAllowedAt: p.pressure.nextAllowedAt ? p.pressure.nextAllowedAt.toISOString() : null,
      },
    nextAction: actionView(p.next, f),
    // The one behind the recommendation is on the action card already.
    reminders: p.reminders
      .filter((r) => r.id !== p.next.reminderId)
      .map((r) => ({
        id: r.id,
        title: r.title,
        dueAt: r.dueAt.toISOString(),
        dueLabel: r.dueAt.getTime() <= f.nowMs ? `${f.past(r.dueAt.getTime())} 到期` : `${f.when(r.dueAt.getTime())} 到期`,
        overdue: r.dueAt.getTime() < f.nowMs - DAY,
        message: r.message ?? null,
      })),
    orders: ordersView(p.storedOrders, f, p.recentOrders, p.orderWindowDays),
    timeline: p.timeline,
    complaints: p.complaints.map(({ complaint: c, excerpt }) => ({
      id: c.id,
      status: c.status === 'open' ? 'suggested' : 'confirmed',
      source: c.source,
      excerpt,
      excerptBy: c.source === 'rep' ? 'rep' : 'customer',
      author: c.source === 'rep' && c.confirmedBy ? p.complaintAuthors.get(c.confirmedBy) ?? c.confirmedBy : null,
      openedLabel: f.past(c.openedAt.getTime()),
    })),
    complaintOpen: p.complaints.some((c) => c.complaint.status === 'confirmed'),
    generatedAt: new Date(f.nowMs).toISOString(),
  };
}

export function actionView(a: ActionCandidate, f: Formatter): NextActionView {
  return {
    kind: a.kind,
    title: a.title,
    reasons: a.reasons,
    message: a.message,
    allowed: a.allowed,
    blockedBy: a.blockedBy,
    until: a.until ? a.until.toISOString() : null,
    untilLabel: a.until ? f.when(a.until.getTime()) : null,
    reminderId: a.reminderId ?? null,
    laterMessage: a.laterMessage ?? null,
  };
}

function ordersView(orders: StoredOrder[], f: Formatter, recent: number, windowDays: number): OrdersSummaryView {
  const total = orders.reduce((s, o) => s + o.amount, 0);
  const since = f.nowMs - windowDays * DAY;
  const inWindow = orders.filter((o) => o.amount > 0 && o.paidAt >= since && o.paidAt <= f.nowMs).length;
  return {
    count: orders.filter((o) => o.amount > 0).length,
    totalLabel: f.yuan(Math.max(0, total)),
    caption: orders.length ? `近${windowDays}天 ${inWindow} 单` : '',
    recent: orders.slice(0, recent).map((o) => ({
      id: o.orderId,
      at: new Date(o.paidAt).toISOString(),
      atLabel: f.past(o.paidAt),
      amount: o.amount,
      amountLabel: o.amount < 0 ? `-${f.yuan(-o.amount)}` : f.yuan(o.amount),
      product: o.product,
    })),
  };
}

/** The relation as the viewing rep has it (their own follow first, see `primary`). */
export function viewerRelation(primary: Follow | undefined): RelationStatus {
  if (!primary || primary.status !== 'ended') return 'active';
  return primary.endedBy === 'customer_deleted' ? 'deleted_by_customer' : primary.endedBy === 'rep_deleted' ? 'deleted_by_rep' : 'ended';
}

/**
 * WeCom hands out avatars as http://wx.qlogo.cn/…; the sidebar runs on https inside WeCom, where
 * an http image is mixed content (blocked, and refused by the page's CSP img-src https:). WeCom's
 * image CDNs (wx.qlogo.cn, thirdwx.qlogo.cn, wework.qpic.cn) serve the same path over https, so the
 * address is upgraded; anything that is not http(s) is dropped and the page shows the initial.
 */
export function secureAvatar(url: string | null | undefined): string | null {
  if (!url) return null;
  const u = url.trim();
  if (/^https:\/\//i.test(u)) return u;
  if (/^http:\/\//i.test(u)) return 'https://' + u.slice('http://'.length);
  return null;
}
