import type { Clock } from '../clock';
import { Complaint, complaintPressure } from '../complaints/policy';
import { findMember } from '../contacts/members';
import { findContact, findFollowsOfCustomer } from '../contacts/repository';
import type { Follow } from '../contacts/types';
import type { Database } from '../db/database';
import { num, placeholders } from '../db/sql';
import { findGroup } from '../groups/repository';
import { lifecycleStage } from '../lifecycle';
import { findCustomerFacts } from '../messages/facts';
import { nextBestAction } from '../next-action/recommend';
import type { NextActionFacts } from '../next-action/types';
import { findNotesOfCustomer } from '../notes/repository';
import { findOrderFacts, findOrdersOfCustomer } from '../orders/repository';
import type { PolicyConfig } from '../policy/config';
import type { RelationStatus } from '../policy/types';
import { describePressure, evaluate, PRESSURE_HISTORY_DAYS, type PressurePolicy, type PressureState, type Touch } from '../pressure';
import { findCorpTags } from '../tags/repository';
import { scoreTier } from '../tiers';
import type { OrderFact } from '../tiers/types';
import { findTouchesOfCustomer, findTouchesSince, type StoredTouch } from '../touches/repository';
import type { FollowRef, Viewer } from './access';
import { contactView } from './contact-view';
import { Formatter } from './format';
import { GroupFacts, groupView } from './group-view';
import type { ReminderSource } from './reminders-port';
import { TimelineSource } from './timeline-source';
import type { ContactProfileView, GroupProfileView, TimelinePageView } from './types';

/**
 * The sidebar's one place of data assembly: it reads the customer from the data modules
 * (contacts, messages, orders, notes, touches, tags, groups, reminders, timeline), asks the
 * judgement core (tiers, lifecycle, pressure, next action) and hands the result to the view
 * mappers. Everything is computed from current data at request time, so what the rep sees
 * is always consistent with the explanation next to it.
 */

const DAY = 86_400_000;
const ORDER_HISTORY = 500;
const TAG_LIBRARY_TTL_MS = 60_000;

export interface ProfileServiceDeps {
  db: Database;
  clock: Clock;
  /** FENCUN_TIMEZONE. */
  timeZone: string;
  policy: PolicyConfig;
  pressure: PressurePolicy;
  reminders: ReminderSource;
  timelinePageSize: number;
  recentOrders: number;
}

export class ProfileService {
  private readonly timelines: TimelineSource;
  private tagLibrary: { at: number; groups: Map<string, string> } | null = null;

  constructor(private readonly d: ProfileServiceDeps) {
    this.timelines = new TimelineSource(d.db);
  }

  async contact(viewer: Viewer, visible: FollowRef[], externalUserId: string): Promise<ContactProfileView> {
    const { db, policy } = this.d;
    const now = this.d.clock();
    const t = now.getTime();
    const windowStart = t - Math.max(policy.tiers.engagement.windowDays, PRESSURE_HISTORY_DAYS) * DAY;
    const owners = visible.map((f) => f.userId);

    const [contact, allFollows, factsMap, storedOrders, touches, notes, reminders, timeline, tagGroups] = await Promise.all([
      findContact(db, externalUserId),
      findFollowsOfCustomer(db, externalUserId),
      findCustomerFacts(db, [externalUserId]),
      findOrdersOfCustomer(db, externalUserId, ORDER_HISTORY),
      findTouchesOfCustomer(db, externalUserId, windowStart),
      findNotesOfCustomer(db, externalUserId, 200),
      this.d.reminders.openFor(externalUserId, owners, now),
      this.timelines.page(externalUserId, { limit: this.d.timelinePageSize }),
      this.tagGroupNames(),
    ]);
    const facts = factsMap.get(externalUserId) ?? null;
    const follows = owners.map((u) => allFollows.find((f) => f.userId === u)).filter((f): f is Follow => !!f);
    const primary = follows[0] ?? allFollows[0];
    const live = allFollows.filter((f) => f.status !== 'ended');
    const orders: OrderFact[] = storedOrders.map((o) => ({ at: new Date(o.paidAt), amount: o.amount, product: o.product ?? undefined }));
    const proactive = touches.filter((x) => x.category !== 'service');
    const lastInboundAt = facts?.lastInboundAt ?? null;
    const engagement = await this.engagement(externalUserId, proactive, lastInboundAt, t);
    const waitingCount = facts?.unansweredSince ? await this.countInbound(externalUserId, facts.unansweredSince.getTime()) : 0;

    // Tiers match configured tags by id or by name, from every live relation.
    const tagKeys = [...new Set(live.flatMap((f) => f.tags.flatMap((x) => [x.tagId, x.name ?? ''])).filter(Boolean))];
    const tier = scoreTier({ customerId: externalUserId, orders, engagement, tags: tagKeys, override: null }, now, policy.tiers, this.d.timeZone);

    const complaints = complaintsFromNotes(notes, t);
    const complaint = complaintPressure(complaints);
    const { relation, endedAt } = relationOf(primary);
    const unanswered = proactive.filter((x) => lastInboundAt === null || x.at > lastInboundAt.getTime()).length;
    const lifecycle = lifecycleStage(
      {
        tier: tier.tier, relation, relationEndedAt: endedAt, addedAt: new Date(primary?.addedAt ?? t), orders, lastInboundAt,
        unansweredTouches: unanswered, openComplaint: complaint.openSince !== null,
      },
      now, policy.tiers, this.d.timeZone,
    );
    const pressureState: PressureState = {
      id: externalUserId, tier: tier.tier, timeZone: null, touches: proactive.map(toPressureTouch), lastInboundAt, complaint, relation,
    };
    const verdict = (r: Parameters<typeof evaluate>[1]) => evaluate(pressureState, r, now, this.d.pressure);
    const openComplaint = complaints.find((c) => c.status !== 'closed') ?? null;
    const openNote = openComplaint ? notes.find((n) => String(n.id) === openComplaint.id) : undefined;
    const remark = primary?.remark || null;
    const naFacts: NextActionFacts = {
      customer: { id: externalUserId, name: remark || contact?.name || '' },
      timeZone: null,
      tier: { id: tier.tier, label: tier.tierLabel },
      lifecycle,
      pressure: {
        service: verdict('service'), care: verdict('care'), marketing: verdict('marketing'),
        complaintFollowUp: verdict({ category: 'care', complaintFollowUp: true }),
      },
      waiting: facts?.unansweredSince && waitingCount > 0 ? { count: waitingCount, since: facts.unansweredSince } : null,
      complaint: openComplaint ? { status: 'confirmed', openedAt: openComplaint.openedAt, summary: openNote ? clip(openNote.text, 40) : undefined } : null,
      reminders: reminders.map((r) => ({ id: r.id, title: r.title, dueAt: r.dueAt, message: r.message ?? undefined })),
      orders,
      firstPurchaseAt: firstPaid(orders),
      birthday: null,
      lastInboundAt,
      lastProactiveAt: latest(proactive),
      lastCareAt: latest(proactive.filter((x) => x.category === 'care')),
      unansweredTouches: unanswered,
      offer: null,
    };
    const next = nextBestAction(naFacts, now, policy.nextAction);

    const f = new Formatter(this.d.timeZone, t);
    const [owner, timelineView] = await Promise.all([
      primary && primary.userId !== viewer.userId ? findMember(db, primary.userId) : null,
      this.timelines.view(timeline, f),
    ]);
    return contactView({
      f,
      tierCount: policy.tiers.tiers.length,
      contact, externalUserId, primary: primary ?? null, ownerName: primary ? owner?.name || (primary.userId === viewer.userId ? viewer.name : primary.userId) : null,
      tagGroups, tier, lifecycle,
      pressure: describePressure(pressureState, now, this.d.pressure),
      next: next.recommendation, reminders, storedOrders, timeline: timelineView, complaintOpen: complaint.openSince !== null,
      recentOrders: this.d.recentOrders, orderWindowDays: policy.tiers.monetary.windowDays,
    });
  }

  timeline(externalUserId: string, before: string | undefined): Promise<TimelinePageView> {
    return this.timelines.page(externalUserId, { before, limit: this.d.timelinePageSize }).then((p) =>
      this.timelines.view(p, new Formatter(this.d.timeZone, this.d.clock().getTime())));
  }

  async group(chatId: string): Promise<GroupProfileView | null> {
    const { db, policy } = this.d;
    const now = this.d.clock();
    const t = now.getTime();
    const group = await findGroup(db, chatId);
    if (!group) return null;
    const [info] = await db.query<{ notice: string | null; created_at: unknown; owner_name: string | null }>(
      `SELECT g.notice, g.created_at, m.name AS owner_name FROM customer_groups g LEFT JOIN members m ON m.user_id = g.owner_user_id
       WHERE g.chat_id = ?`, [chatId]);
    const members = await db.query<{ member_id: string; member_type: unknown; name: string | null; group_nickname: string | null;
      contact_name: string | null; join_time: unknown; left_at: unknown }>(
      `SELECT gm.member_id, gm.member_type, gm.name, gm.group_nickname, c.name AS contact_name, gm.join_time, gm.left_at
       FROM customer_group_members gm LEFT JOIN external_contacts c ON c.external_user_id = gm.member_id WHERE gm.chat_id = ?`, [chatId]);
    const nameOf = (m: (typeof members)[number]) => m.contact_name || m.group_nickname || m.name || m.member_id;
    const present = members.filter((m) => m.left_at === null);
    const customerIds = present.filter((m) => num(m.member_type) === 2).map((m) => m.member_id);
    const scored = await this.scoreMany(customerIds, now);
    const recentIds = members.filter((m) => num(m.member_type) === 2 && m.left_at !== null).map((m) => m.member_id);
    const leftScored = await this.scoreMany(recentIds.filter((id) => !scored.has(id)), now);
    const since = t - 30 * DAY;
    const recent: GroupFacts['recent'] = [];
    for (const m of members) {
      const isCustomer = num(m.member_type) === 2;
      const tier = isCustomer ? (scored.get(m.member_id) ?? leftScored.get(m.member_id))?.tier ?? null : null;
      if (m.left_at !== null && num(m.left_at) >= since) recent.push({ at: num(m.left_at), name: nameOf(m), change: 'leave', isCustomer, tier });
      else if (m.left_at === null && m.join_time !== null && num(m.join_time) >= since) recent.push({ at: num(m.join_time), name: nameOf(m), change: 'join', isCustomer, tier });
    }
    recent.sort((a, b) => b.at - a.at);
    const sent = await db.query<{ msg_time: unknown }>(
      `SELECT msg_time FROM messages WHERE chat_id = ? AND direction = 'out' AND category = 'group_content' AND msg_time >= ?`,
      [chatId, t - PRESSURE_HISTORY_DAYS * DAY]);
    const facts: GroupFacts = {
      chatId, name: group.name, ownerName: info?.owner_name || group.ownerUserId || '', notice: info?.notice || null,
      createdAt: info?.created_at == null ? null : num(info.created_at), memberCount: group.memberCount,
      customers: customerIds.map((id) => {
        const m = present.find((x) => x.member_id === id)!;
        const s = scored.get(id);
        return { externalUserId: id, name: nameOf(m), tier: s?.tier ?? '', score: s?.score ?? 0 };
      }),
      contentSentAt: sent.map((r) => num(r.msg_time)),
      recent,
    };
    return groupView(facts, now, this.d.pressure, policy.tiers, policy.nextAction.highValueTiers, new Formatter(this.d.timeZone, t));
  }

  /**
   * Tiers of many customers at once (a group's members), from batched reads. The reply ratio uses
   * the stored facts (touches since the customer last wrote count as unanswered), where the
   * single-customer view walks every touch; the tier can differ only at a band edge.
   */
  private async scoreMany(ids: string[], now: Date): Promise<Map<string, { tier: string; score: number }>> {
    const out = new Map<string, { tier: string; score: number }>();
    if (ids.length === 0) return out;
    const { db, policy } = this.d;
    const t = now.getTime();
    const cfg = policy.tiers;
    const engagementSince = t - cfg.engagement.windowDays * DAY;
    const [orders, facts, touches] = await Promise.all([
      findOrderFacts(db, ids, t - Math.max(cfg.frequency.windowDays, cfg.monetary.windowDays, ...cfg.recency.map((b) => b.withinDays)) * DAY),
      findCustomerFacts(db, ids),
      findTouchesSince(db, ids, engagementSince),
    ]);
    const inbound = new Map<string, number>();
    const tags = new Map<string, string[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const rows = await db.query<{ external_user_id: string; n: unknown }>(
        `SELECT external_user_id, COUNT(*) AS n FROM messages WHERE external_user_id IN (${placeholders(part.length)})
         AND direction = 'in' AND chat_id IS NULL AND msg_time >= ? GROUP BY external_user_id`, [...part, engagementSince]);
      for (const r of rows) inbound.set(r.external_user_id, num(r.n));
      const tagRows = await db.query<{ external_user_id: string; tag_id: string; tag_name: string | null }>(
        `SELECT ft.external_user_id, ft.tag_id, ft.tag_name FROM follow_tags ft
         JOIN follows f ON f.user_id = ft.user_id AND f.external_user_id = ft.external_user_id
         WHERE ft.external_user_id IN (${placeholders(part.length)}) AND f.status <> 'ended'`, part);
      for (const r of tagRows) tags.set(r.external_user_id, [...(tags.get(r.external_user_id) ?? []), r.tag_id, ...(r.tag_name ? [r.tag_name] : [])]);
    }
    for (const id of ids) {
      const fct = facts.get(id);
      const proactive = (touches.get(id) ?? []).filter((x) => x.category !== 'service').length;
      const unanswered = Math.min(proactive, fct?.touchesSinceInbound ?? 0);
      const r = scoreTier({
        customerId: id, orders: orders.get(id) ?? [], tags: [...new Set(tags.get(id) ?? [])], override: null,
        engagement: { inboundMessages: inbound.get(id) ?? 0, proactiveTouches: proactive, answeredTouches: proactive - unanswered, lastInboundAt: fct?.lastInboundAt ?? null },
      }, now, cfg, this.d.timeZone);
      out.set(id, { tier: r.tier, score: r.score });
    }
    return out;
  }

  /** Group names of corp tags (the tag module keeps the library; it changes rarely). */
  private async tagGroupNames(): Promise<Map<string, string>> {
    const t = this.d.clock().getTime();
    if (this.tagLibrary && t - this.tagLibrary.at < TAG_LIBRARY_TTL_MS) return this.tagLibrary.groups;
    const rows = await findCorpTags(this.d.db);
    const groups = new Map(rows.map((r) => [r.tagId, r.groupName]));
    this.tagLibrary = { at: t, groups };
    return groups;
  }

  /** The tier model's engagement window: inbound messages, and which proactive touches got an answer. */
  private async engagement(externalUserId: string, proactive: StoredTouch[], lastInboundAt: Date | null, t: number) {
    const since = t - this.d.policy.tiers.engagement.windowDays * DAY;
    const inWindow = proactive.filter((x) => x.at >= since).sort((a, b) => a.at - b.at);
    const inboundMessages = await this.countInbound(externalUserId, since);
    let answeredTouches = 0;
    if (inWindow.length > 0) {
      const rows = await this.d.db.query<{ msg_time: unknown }>(
        `SELECT msg_time FROM messages WHERE external_user_id = ? AND direction = 'in' AND chat_id IS NULL AND msg_time >= ?
         ORDER BY msg_time LIMIT 2000`, [externalUserId, inWindow[0].at]);
      const inbound = rows.map((r) => num(r.msg_time));
      // Answered: the customer wrote after the touch and before the next one.
      inWindow.forEach((x, i) => {
        const until = inWindow[i + 1]?.at ?? Infinity;
        if (inbound.some((m) => m > x.at && m <= until)) answeredTouches++;
      });
    }
    return { inboundMessages, proactiveTouches: inWindow.length, answeredTouches, lastInboundAt };
  }

  private async countInbound(externalUserId: string, since: number): Promise<number> {
    const [r] = await this.d.db.query<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM messages WHERE external_user_id = ? AND direction = 'in' AND chat_id IS NULL AND msg_time >= ?`,
      [externalUserId, since]);
    return num(r?.n ?? 0);
  }
}

function toPressureTouch(x: StoredTouch): Touch {
  return { at: new Date(x.at), category: x.category };
}

function relationOf(f: Follow | undefined): { relation: RelationStatus; endedAt: Date | null } {
  if (!f || f.status !== 'ended') return { relation: 'active', endedAt: null };
  const endedAt = f.endedAt === null ? null : new Date(f.endedAt);
  if (f.endedBy === 'customer_deleted') return { relation: 'deleted_by_customer', endedAt };
  if (f.endedBy === 'rep_deleted') return { relation: 'deleted_by_rep', endedAt };
  return { relation: 'ended', endedAt };
}

/**
 * Complaints as the sidebar can know them today: a note marked as a complaint. Storing a
 * complaint's life (confirm, close with a resolution) belongs to the complaints module; until it
 * exists, a complaint note counts as in progress for COMPLAINT_NOTE_OPEN_DAYS and as closed
 * after that, so the policy's cooldown still follows it and marketing never resumes at once.
 */
export const COMPLAINT_NOTE_OPEN_DAYS = 14;

export function complaintsFromNotes(notes: { id: number; externalUserId: string; isComplaint: boolean; createdAt: number }[], now: number): Complaint[] {
  return notes
    .filter((n) => n.isComplaint)
    .map((n) => {
      const closesAt = n.createdAt + COMPLAINT_NOTE_OPEN_DAYS * DAY;
      const closed = now >= closesAt;
      return {
        id: String(n.id), customerId: n.externalUserId, status: closed ? ('closed' as const) : ('confirmed' as const), source: 'rep' as const,
        openedAt: new Date(n.createdAt), confirmedAt: new Date(n.createdAt), confirmedBy: null,
        closedAt: closed ? new Date(closesAt) : null, closedBy: null,
        resolution: closed ? { code: 'resolved' as const, note: '' } : null,
      };
    });
}

function firstPaid(orders: OrderFact[]): Date | null {
  const paid = orders.filter((o) => o.amount > 0);
  return paid.length ? new Date(Math.min(...paid.map((o) => o.at.getTime()))) : null;
}

function latest(touches: StoredTouch[]): Date | null {
  return touches.length ? new Date(Math.max(...touches.map((x) => x.at))) : null;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}
