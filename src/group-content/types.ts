import { z } from 'zod';
import { ContentSchema } from '../campaigns/types';
import type { ReasonCode } from '../pressure';

/**
 * A post to customer groups: which groups (target), what (content, as campaigns have it), when
 * (one time, or a weekly/daily series in FENCUN_TIMEZONE), how far it may be moved to respect
 * the group caps, and who asked. Parsed once at the edge (API, CSV); each problem is a sentence.
 */

const iso = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO time such as 2026-03-02T10:00:00+08:00');
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2026-03-31')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'must be a real calendar date such as 2026-03-31');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time such as 10:00');

/**
 * Groups matching every criterion given. `tags`: customer groups carry no tags in WeCom's
 * groupchat data, so a tag selects the groups in which at least one current customer member
 * carries one of these corp tags (id or name), as any rep tagged them.
 */
export const TargetSchema = z.strictObject({
  owners: z.array(z.string().min(1).max(64)).min(1).optional(),
  tags: z.array(z.string().min(1).max(255)).min(1).optional(),
  /** Group name with * (any run of characters) and ? (one character), case-insensitive: "VIP*群". */
  namePattern: z.string().min(1).max(200).optional(),
  chatIds: z.array(z.string().min(1).max(128)).min(1).max(2000, 'at most 2000 groups (WeCom\'s limit per task)').optional(),
}).refine((t) => t.owners || t.tags || t.namePattern || t.chatIds, 'needs at least one of owners, tags, namePattern, chatIds');
export type Target = z.infer<typeof TargetSchema>;

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

export const SeriesSchema = z.strictObject({
  /** ISO weekdays 1 (Monday) … 7 (Sunday); "daily" for every day. */
  days: z.union([z.literal('daily'), z.array(z.number().int().min(1, 'weekdays are 1 (Monday) to 7 (Sunday)').max(7, 'weekdays are 1 (Monday) to 7 (Sunday)')).min(1)]),
  /** Local time in FENCUN_TIMEZONE. */
  time: hhmm,
  /** First and last calendar day (inclusive) in FENCUN_TIMEZONE. */
  from: date,
  until: date,
}).refine((s) => s.until >= s.from, { message: 'until must not be before from', path: ['until'] })
  .refine((s) => Date.parse(s.until) - Date.parse(s.from) <= 366 * 86_400_000, { message: 'a series may span at most 366 days', path: ['until'] });
export type Series = z.infer<typeof SeriesSchema>;

export const ScheduleSchema = z.union([
  z.strictObject({ at: iso }),
  z.strictObject({ series: SeriesSchema }),
], { error: 'must be { "at": ISO time } or { "series": { days, time, from, until } }' });
export type PostSchedule = z.infer<typeof ScheduleSchema>;

export const NewPostSchema = z.strictObject({
  name: z.string().min(1).max(200),
  target: TargetSchema,
  content: ContentSchema,
  schedule: ScheduleSchema,
  /** A post the group caps or quiet hours stop is moved to the next allowed time if that is within this many hours; otherwise skipped. */
  moveWithinHours: z.number().int().min(0).max(168).default(24),
  creator: z.string().min(1).max(64),
});
export type NewPost = z.infer<typeof NewPostSchema>;

export type PostStatus = 'active' | 'done' | 'cancelled';

export interface Post extends NewPost {
  id: number;
  status: PostStatus;
  source: string;
  firstAt: number;
  lastAt: number;
  decidedThrough: number | null;
  createdAt: number;
  cancelledAt: number | null;
}

/** A customer group as the planner sees it. */
export interface GroupRef {
  chatId: string;
  name: string;
  ownerUserId: string | null;
  status: string;
}

/**
 * What operators know a group by, beside its chat id: `groupName` as synced from WeCom ("" when
 * the group has no name in WeCom, which is allowed; null when Fencun has no copy of the group:
 * not synced yet, or a chat id that names no group) and the owner rep's name (null when unknown).
 */
export interface GroupLabel {
  groupName: string | null;
  ownerName: string | null;
}

/** Why a group does not get a post on time: the pressure policy's reasons, or the group's own. */
export type GroupReason = ReasonCode | 'GROUP_NOT_FOUND' | 'NO_OWNER' | 'TOO_LATE';

export type GroupDecision =
  | { kind: 'send'; chatId: string; owner: string; at: number }
  | { kind: 'moved'; chatId: string; owner: string; at: number; reason: GroupReason; reasons: GroupReason[] }
  | { kind: 'skipped'; chatId: string; owner: string | null; reason: GroupReason; reasons: GroupReason[]; nextAllowedAt: number | null };

/** Per-group result once WeCom reports (send_result.status for a group: 1 sent, 2 gone, 3 quota). */
export type SendStatus = 'planned' | 'dispatched' | 'sent' | 'not_sent' | 'over_quota' | 'group_gone' | 'failed' | 'cancelled' | 'skipped';
