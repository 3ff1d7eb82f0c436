/**
 * JSON shapes of the sidebar API (/sidebar/api/*). The Vue page imports these types too
 * (type-only), so the contract lives in one file. Instants are ISO 8601 strings; money is yuan.
 * No imports here: the front-end build must be able to read this file on its own (the one
 * exception, rep-tools-types.ts, has no imports either).
 */

import type { GroupMemberView, RepToolsView } from './rep-tools-types';

export type Role = 'rep' | 'supervisor';

/** GET /sidebar/api/session */
export interface SessionInfo {
  userId: string;
  name: string;
  role: Role;
  expiresAt: string;
  /** Signed in through the demo picker (only possible when FENCUN_DEMO is on). */
  demo: boolean;
  /** What ww.register needs. */
  corpId: string;
  agentId: number;
}

export interface SignedConfig {
  timestamp: number;
  nonceStr: string;
  signature: string;
}

/** POST /sidebar/api/jssdk/signatures {url} */
export interface JssdkSignatures {
  corpId: string;
  agentId: number;
  /** The URL that was signed (fragment removed). */
  url: string;
  /** For wx.config (corp jsapi_ticket). */
  config: SignedConfig;
  /** For wx.agentConfig (app ticket). */
  agentConfig: SignedConfig;
}

export interface TagView {
  id: string;
  name: string;
  group: string;
  /** corp tags can be edited from the sidebar; personal and rule tags are shown only. */
  kind: 'corp' | 'personal' | 'rule';
}

export interface ReasonView {
  label: string;
  /** Tier reasons carry their points (they sum to the score). */
  points?: number;
}

export type TierTone = 'top' | 'high' | 'mid' | 'low';

export interface TierView {
  id: string;
  label: string;
  tone: TierTone;
  score: number;
  reasons: ReasonView[];
  /** Set when a manual override decides the tier. */
  override: { label: string; reason: string; author: string } | null;
}

export interface LifecycleView {
  stage: 'new' | 'active' | 'at_risk' | 'dormant' | 'lost';
  label: string;
  signals: string[];
}

export interface PressureView {
  tone: 'open' | 'wait' | 'paused' | 'ended';
  headline: string;
  lines: string[];
  nextAllowedAt: string | null;
}

export type ActionKind =
  | 'service' | 'complaint_follow_up' | 'churn_wake_up' | 'reminder' | 'post_sale_care'
  | 'birthday' | 'anniversary' | 'revisit' | 'marketing' | 'give_space' | 'group_content' | 'group_quiet';

export interface NextActionView {
  kind: ActionKind;
  title: string;
  reasons: string[];
  /** Suggested message (话术); null when there is nothing to send (give space). */
  message: string | null;
  /** False when pressure blocks it now (it is then shown as "not now" with `until`). */
  allowed: boolean;
  blockedBy: string[];
  until: string | null;
  /** zh-CN rendering of `until`, e.g. "周四 10:00". */
  untilLabel: string | null;
  /** The reminder this action comes from: done/snooze act on it. */
  reminderId: string | null;
  /** 暂不打扰: the 话术 meant for later, to read now (never offered for insertion). */
  laterMessage: string | null;
}

export interface ReminderView {
  id: string;
  title: string;
  dueAt: string;
  dueLabel: string;
  overdue: boolean;
  message: string | null;
}

export interface OrderView {
  id: string;
  at: string;
  atLabel: string;
  amount: number;
  amountLabel: string;
  product: string | null;
}

export interface OrdersSummaryView {
  count: number;
  totalLabel: string;
  /** e.g. "近365天 3 单". */
  caption: string;
  recent: OrderView[];
}

export type TimelineKind = 'message_in' | 'message_out' | 'order' | 'note' | 'complaint' | 'follow' | 'tag' | 'touch' | 'other';

export interface TimelineItemView {
  id: string;
  at: string;
  atLabel: string;
  kind: TimelineKind;
  title: string;
  body: string | null;
  actor: string | null;
}

export interface TimelinePageView {
  items: TimelineItemView[];
  /** Pass as `before` to get the next (older) page; null when there is nothing older. */
  nextCursor: string | null;
}

export interface ContactHeaderView {
  externalUserId: string;
  name: string;
  avatar: string | null;
  remark: string | null;
  corpName: string | null;
  /** 微信 or 企业微信 user. */
  kind: 'wechat' | 'wecom';
  addedLabel: string | null;
  ownerName: string | null;
  relation: 'active' | 'deleted_by_customer' | 'deleted_by_rep' | 'ended';
  /** zh-CN, shown first when the relation has ended: what happened and what is still possible. */
  relationNotice: string | null;
}

/** GET /sidebar/api/contacts/:externalUserId */
export interface ContactProfileView {
  contact: ContactHeaderView;
  tags: TagView[];
  tier: TierView;
  lifecycle: LifecycleView;
  pressure: PressureView;
  nextAction: NextActionView;
  reminders: ReminderView[];
  orders: OrdersSummaryView;
  timeline: TimelinePageView;
  /** Complaints not closed: `suggested` ones (flagged by keyword) wait for the rep to confirm or dismiss. */
  complaints: ComplaintView[];
  /** A confirmed complaint is in progress: marketing is off. */
  complaintOpen: boolean;
  /** The rep's tools: editable profile fields, sales stage, tier choices, follow-up kinds, colleagues. */
  tools?: RepToolsView;
  /** With ?session=1: the session, so a linked customer view needs one round trip, not two. */
  session?: SessionInfo;
  generatedAt: string;
}

export interface ComplaintView {
  id: string;
  status: 'suggested' | 'confirmed';
  source: 'keyword' | 'rep';
  /** The customer's words (keyword suggestions) or the rep's note. */
  excerpt: string | null;
  /** Whose words `excerpt` is: only the customer's are quoted as something they said. */
  excerptBy: 'customer' | 'rep';
  /** The rep who filed it (source rep), e.g. 李娜; "你" when it is the viewer. */
  author: string | null;
  openedLabel: string;
}

export type ComplaintResolution = 'resolved' | 'refunded' | 'compensated' | 'unresolved';

export interface CorpTagGroupView {
  groupId: string;
  groupName: string;
  tags: { id: string; name: string }[];
}

/** GET /sidebar/api/groups/:chatId */
export interface GroupProfileView {
  group: {
    chatId: string;
    name: string;
    ownerName: string;
    notice: string | null;
    memberCount: number;
    customerCount: number;
    createdLabel: string | null;
  };
  /** Customers in the group by tier, highest tier first. */
  tiers: { id: string; label: string; tone: TierTone; count: number; names: string[] }[];
  content: {
    sentToday: number;
    sentThisWeek: number;
    sentThisMonth: number;
    /** open: content may go out; wait: not now (see nextAllowedAt); paused: a member's complaint holds it. */
    tone: 'open' | 'wait' | 'paused';
    /** zh-CN, e.g. "今天还可发 1 条，本周还可发 3 条". */
    headline: string;
    lines: string[];
    nextAllowedAt: string | null;
  };
  recent: { at: string; atLabel: string; name: string; change: 'join' | 'leave'; isCustomer: boolean }[];
  nextAction: NextActionView;
  /** Customers in the group with tier and tags, highest tier first (at most 100). */
  members?: GroupMemberView[];
  generatedAt: string;
}

export interface DemoRep {
  userId: string;
  name: string;
  role: Role;
  /** Main department, e.g. 销售1组. */
  team: string;
  position: string | null;
  /** Customers they follow themselves. */
  customers: number;
  /** The demo's suggested starting identity (its book shows every kind of advice). */
  suggested: boolean;
}

/** Why a customer is worth opening in the demo. */
export type DemoMark = 'complaint' | 'churn_risk' | 'waiting' | 'give_space' | 'lost';

export interface DemoTarget {
  kind: 'contact' | 'group';
  id: string;
  name: string;
  hint: string;
  /** Contacts only: as the sidebar judges them now. */
  /** rank 0 = the highest tier. */
  tier?: { id: string; label: string; rank: number; score: number };
  stage?: { id: string; label: string };
  action?: { kind: string; title: string };
  marks?: DemoMark[];
}

export interface ApiErrorBody {
  code: string;
  message: string;
  requestId?: string;
  details?: unknown;
}

/** Why a rep skips a reminder from "my reminders" (stored as reminders.closed_reason). */
export type SkipReason = 'already_contacted' | 'not_needed' | 'not_mine' | 'customer_unreachable';

/** One reminder on the rep's "my reminders" page (GET /sidebar/api/my-reminders). */
export interface MyReminderView {
  id: string;
  externalUserId: string;
  /** How the rep calls the customer (the salutation from their remark, else the WeCom name). */
  customer: string;
  title: string;
  /** Why it was made (zh-CN, for the rep). */
  reason: string | null;
  /** A suggested 话术. */
  message: string | null;
  dueAt: string;
  dueLabel: string;
  /** Due before today (corp calendar). */
  overdue: boolean;
}

export interface MyRemindersView {
  today: number;
  overdue: number;
  items: MyReminderView[];
  skipReasons: { id: SkipReason; label: string }[];
}
