import type { Clock } from '../clock';
import { findMember } from '../contacts/members';
import { findContact, findFollowsOfCustomer } from '../contacts/repository';
import type { Follow } from '../contacts/types';
import type { Database } from '../db/database';
import { num } from '../db/sql';
import { findGroup } from '../groups/repository';
import type { Judgement } from '../judgement';
import { loadCustomerInputs } from '../judgement/inputs';
import { assessCustomer, recommendNextAction } from '../judgement/next-action-service';
import { findOrdersOfCustomer } from '../orders/repository';
import { describePressure, PRESSURE_HISTORY_DAYS } from '../pressure';
import { findCorpTags } from '../tags/repository';
import type { FollowRef, Viewer } from './access';
import { contactView, viewerRelation } from './contact-view';
import { Formatter, tierTone } from './format';
import { GroupFacts, groupView, type GroupMemberComplaint } from './group-view';
import { noReminders, type ReminderSource } from './reminders-port';
import type { TimelineFilter } from '../timeline/timeline';
import { TimelineSource } from './timeline-source';
import type { ContactProfileView, GroupProfileView, TimelinePageView } from './types';
import { loadProfileConfig, type ProfileConfig } from '../profile/config';
import { addressName } from '../profile/fields';
import { findBirthday, findColleagues, findProfile, followedBy, tagNamesOf } from '../profile/repository';
import { repToolsView } from './rep-tools-view';
import type { GroupMemberView } from './rep-tools-types';

/**
 * The sidebar's one place of data assembly: it reads the customer from the data modules
 * (contacts, messages, orders, tags, groups, reminders, timeline) and the judgement core's bulk
 * loader (orders, engagement, touches, tags, overrides, relation, complaints), asks the judgement
 * core (tier, lifecycle, pressure, next action) and hands the result to the view mappers.
 * Everything is computed from current data at request time, so what the rep sees is always
 * consistent with the explanation next to it.
 */

const DAY = 86_400_000;
const ORDER_HISTORY = 500;
const TAG_LIBRARY_TTL_MS = 60_000;
/** Joins and leaves shown on the group card. */
const RECENT_CHANGES_DAYS = 30;
/** Members listed on the group card (a group holds up to 500). */
const GROUP_MEMBERS_LISTED = 100;

export interface ProfileServiceDeps {
  db: Database;
  clock: Clock;
  /** FENCUN_TIMEZONE. */
  timeZone: string;
  /** The judgement core: policy, tier/lifecycle evaluation, pressure policy, complaints. */
  judgement: Judgement;
  reminders: ReminderSource;
  timelinePageSize: number;
  recentOrders: number;
  /** config/profile.json (sales stages, custom fields); read from the file when absent. */
  profileConfig?: ProfileConfig;
}

export class ProfileService {
  private readonly timelines: TimelineSource;
  private tagLibrary: { at: number; groups: Map<string, string> } | null = null;
  private readonly profileConfig: ProfileConfig;

  constructor(private readonly d: ProfileServiceDeps) {
    this.timelines = new TimelineSource(d.db);
    this.profileConfig = d.profileConfig ?? loadProfileConfig();
  }

  async contact(viewer: Viewer, visible: FollowRef[], externalUserId: string): Promise<ContactProfileView> {
    const { db, judgement } = this.d;
    const policy = judgement.policy;
    const now = this.d.clock();
    const t = now.getTime();
    const owners = visible.map((f) => f.userId);

    const [contact, allFollows, assessment, storedOrders, reminders, timeline, tagGroups, stored, birthday, colleagues] = await Promise.all([
      findContact(db, externalUserId),
      findFollowsOfCustomer(db, externalUserId),
      assessCustomer(db, judgement, externalUserId, now),
      findOrdersOfCustomer(db, externalUserId, ORDER_HISTORY),
      this.d.reminders.openFor(externalUserId, owners, now),
      this.timelines.page(externalUserId, { limit: this.d.timelinePageSize }),
      this.tagGroupNames(),
      findProfile(db, externalUserId),
      findBirthday(db, externalUserId),
      findColleagues(db, externalUserId, viewer.userId),
    ]);
    const follows = owners.map((u) => allFollows.find((f) => f.userId === u)).filter((f): f is Follow => !!f);
    const primary = follows[0] ?? allFollows[0];
    const { tier, lifecycle } = assessment;
    const relation = viewerRelation(primary);
    // Never the raw remark ("陈先生-意向强"): the 称呼 the rep set, else the configured customer-safe salutation.
    const addressedAs = addressName(stored.salutation, policy.nextAction.salutation, primary?.remark, contact?.name);
    const next = recommendNextAction(judgement, assessment, {
      name: addressedAs,
      birthday,
      reminders: reminders.map((r) => ({ id: r.id, title: r.title, dueAt: r.dueAt, message: r.message ?? undefined, kind: r.kind ?? undefined })),
      relation,
      postSaleFromReminders: this.d.reminders !== noReminders,
    }, now);
    // What the strip says must match what the card offers: the viewer's relation decides.
    const pressureState = relation === 'active' ? assessment.pressureState : { ...assessment.pressureState, relation };

    const f = new Formatter(this.d.timeZone, t);
    const filers = [...new Set(assessment.openComplaints.map((c) => (c.complaint.source === 'rep' ? c.complaint.confirmedBy : null))
      .filter((u): u is string => !!u && u !== viewer.userId))];
    const [owner, timelineView, stageSetter, ...filerMembers] = await Promise.all([
      primary && primary.userId !== viewer.userId ? findMember(db, primary.userId) : null,
      this.timelines.view(timeline, f),
      stored.salesStageBy ? findMember(db, stored.salesStageBy) : null,
      ...filers.map((u) => findMember(db, u)),
    ]);
    const complaintAuthors = new Map<string, string>([[viewer.userId, '你'], ...filers.map((u, i) => [u, filerMembers[i]?.name || u] as [string, string])]);
    const view = contactView({
      f,
      tierCount: policy.tiers.tiers.length,
      contact, externalUserId, primary: primary ?? null,
      // Shown only when the viewer sees the customer through someone else (a supervisor).
      ownerName: primary && primary.userId !== viewer.userId ? owner?.name || primary.userId : null,
      tagGroups, tier, lifecycle,
      pressure: describePressure(pressureState, now, judgement.pressurePolicy),
      next: next.recommendation, reminders, storedOrders, timeline: timelineView,
      complaints: assessment.openComplaints, complaintAuthors,
      recentOrders: this.d.recentOrders, orderWindowDays: policy.tiers.monetary.windowDays,
    });
    const tools = repToolsView({
      f, config: this.profileConfig, stored, birthday, primary: primary ?? null, relationActive: relation === 'active', addressedAs,
      tiers: policy.tiers.tiers.map((x) => ({ id: x.id, label: x.label })), colleagues,
      stageSetter: stored.salesStageBy === viewer.userId ? '你' : stageSetter?.name ?? null,
    });
    return { ...view, tools };
  }

  timeline(externalUserId: string, before: string | undefined, only: TimelineFilter | null = null): Promise<TimelinePageView> {
    return this.timelines.page(externalUserId, { before, limit: this.d.timelinePageSize, only }).then((p) =>
      this.timelines.view(p, new Formatter(this.d.timeZone, this.d.clock().getTime())));
  }

  async group(chatId: string, viewer?: Viewer): Promise<GroupProfileView | null> {
    const { db, judgement } = this.d;
    const policy = judgement.policy;
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
    const since = t - RECENT_CHANGES_DAYS * DAY;
    const scored = await this.scoreMany(customerIds, now);
    const recentlyLeft = members.filter((m) => num(m.member_type) === 2 && m.left_at !== null && num(m.left_at) >= since).map((m) => m.member_id);
    const leftScored = await this.scoreMany(recentlyLeft.filter((id) => !scored.has(id)), now);
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
      customers: present.filter((m) => num(m.member_type) === 2).map((m) => {
        const s = scored.get(m.member_id);
        return { externalUserId: m.member_id, name: nameOf(m), tier: s?.tier ?? '', score: s?.score ?? 0, complaint: s?.complaint ?? null };
      }),
      contentSentAt: sent.map((r) => num(r.msg_time)),
      recent,
    };
    const view = groupView(facts, now, judgement.pressurePolicy, policy.tiers, policy.nextAction.highValueTiers, new Formatter(this.d.timeZone, t));
    return { ...view, members: await this.groupMembers(facts.customers, viewer) };
  }

  /** The group's customers with tier and tags, highest tier first; the ones the viewer follows open their profile. */
  private async groupMembers(customers: GroupFacts['customers'], viewer: Viewer | undefined): Promise<GroupMemberView[]> {
    const tiers = this.d.judgement.policy.tiers.tiers;
    const rank = new Map(tiers.map((x, i) => [x.id, i]));
    const listed = [...customers]
      .sort((a, b) => (rank.get(a.tier) ?? 99) - (rank.get(b.tier) ?? 99) || b.score - a.score || a.name.localeCompare(b.name))
      .slice(0, GROUP_MEMBERS_LISTED);
    const ids = listed.map((c) => c.externalUserId);
    const [tags, openable] = await Promise.all([tagNamesOf(this.d.db, ids), viewer ? followedBy(this.d.db, ids, viewer.scope) : new Set<string>()]);
    return listed.map((c) => {
      const r = rank.get(c.tier) ?? tiers.length - 1;
      return {
        externalUserId: c.externalUserId, name: c.name, tierLabel: tiers[r]?.label ?? c.tier, tone: tierTone(r, tiers.length),
        tags: (tags.get(c.externalUserId) ?? []).slice(0, 4), canOpen: openable.has(c.externalUserId), complaint: c.complaint !== null,
      };
    });
  }

  /** Tiers of many customers at once (a group's members), through the judgement core's bulk loader. */
  private async scoreMany(ids: string[], now: Date): Promise<Map<string, { tier: string; score: number; complaint: GroupMemberComplaint | null }>> {
    const out = new Map<string, { tier: string; score: number; complaint: GroupMemberComplaint | null }>();
    if (ids.length === 0) return out;
    const { judgement } = this.d;
    const inputs = await loadCustomerInputs(this.d.db, ids, now, judgement.tiers.windows());
    for (const [id, input] of inputs) {
      const { tier } = judgement.tiers.evaluate(input, now);
      const c = input.complaint;
      // Group content reaches every member: one who may be unhappy counts, confirmed or not.
      const complaint = c.openSince ? { since: c.openSince.getTime(), confirmed: !c.unconfirmed } : null;
      out.set(id, { tier: tier.tier, score: tier.score, complaint });
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
}

