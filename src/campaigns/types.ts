import { z } from 'zod';
import type { ReasonCode } from '../pressure';

/**
 * A campaign to customers: who (audience), what (content), which kind of touch (category),
 * when and how fast (schedule), and who asked (creator). Parsed once at the edge (API, CLI) so
 * every later step works on a checked value; each problem is reported as a sentence.
 */

const iso = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO time such as 2026-03-02T10:00:00+08:00');
const ids = z.array(z.string().min(1).max(191)).max(100_000);

export const AudienceSchema = z.strictObject({
  /** Tier ids (config/tiers.json); a customer without a computed tier counts as the fallback tier. */
  tiers: z.array(z.string().min(1)).min(1).optional(),
  /** Lifecycle stages. */
  stages: z.array(z.enum(['new', 'active', 'at_risk', 'dormant', 'lost'], { error: 'must be one of new, active, at_risk, dormant, lost' })).min(1).optional(),
  /** Tag ids or names: `all` = AND (every tag), `any` = OR (at least one). */
  tags: z.strictObject({ all: z.array(z.string().min(1)).min(1).optional(), any: z.array(z.string().min(1)).min(1).optional() }).optional(),
  /** Customers followed (actively) by one of these members. */
  owners: ids.min(1).optional(),
  /** Customers followed (actively) by a member whose main department is one of these. */
  departments: z.array(z.number().int()).min(1).optional(),
  /** Last 1:1 message either way before / at-or-after this instant; never contacted counts as before. */
  lastContactBefore: iso.optional(),
  lastContactAfter: iso.optional(),
  /** true: has at least one order; false: never ordered. */
  hasOrdered: z.boolean().optional(),
  /** No order paid in the last N days before the plan's instant. */
  noOrderInDays: z.number().int().min(1).max(3650).optional(),
  /** An explicit list of external_userids (still subject to the other filters). */
  externalUserIds: ids.min(1).optional(),
});
export type Audience = z.infer<typeof AudienceSchema>;

/** The attachments WeCom's add_msg_template takes (wecom/API.md 4.10); media ids come from the client's upload. */
const attachment = z.discriminatedUnion('msgtype', [
  // material_id: an image or file of the 素材 library (/api/materials), uploaded to WeCom when sent.
  z.strictObject({ msgtype: z.literal('image'), image: z.strictObject({ media_id: z.string().min(1).optional(), pic_url: z.string().url().optional(), material_id: z.number().int().positive().optional() })
    .refine((i) => i.media_id || i.pic_url || i.material_id, 'needs media_id, pic_url or material_id') }),
  z.strictObject({ msgtype: z.literal('link'), link: z.strictObject({ title: z.string().min(1), url: z.string().url(), picurl: z.string().url().optional(), desc: z.string().optional() }) }),
  z.strictObject({ msgtype: z.literal('miniprogram'), miniprogram: z.strictObject({ title: z.string().min(1), pic_media_id: z.string().min(1), appid: z.string().min(1), page: z.string().min(1) }) }),
  z.strictObject({ msgtype: z.literal('file'), file: z.strictObject({ media_id: z.string().min(1).optional(), material_id: z.number().int().positive().optional() })
    .refine((f) => f.media_id || f.material_id, 'needs media_id or material_id') }),
], { error: 'msgtype must be image, link, miniprogram or file' });

export const ContentSchema = z.strictObject({
  // WeCom's text limit is 4000 bytes (API.md 4.10).
  text: z.string().min(1).refine((t) => Buffer.byteLength(t) <= 4000, 'must be at most 4000 bytes (WeCom\'s limit)').optional(),
  attachments: z.array(attachment).max(9, 'at most 9 attachments (WeCom\'s limit)').optional(),
}).refine((c) => c.text !== undefined || (c.attachments?.length ?? 0) > 0, 'needs text or at least one attachment');
export type Content = z.infer<typeof ContentSchema>;

export const ScheduleSchema = z.strictObject({
  start: iso,
  end: iso,
  /** At most this many customers per sending member per day (the first day starts at `start`). */
  perSenderDailyRate: z.number().int().min(1).max(100_000),
}).refine((s) => Date.parse(s.end) > Date.parse(s.start), { message: 'end must be after start', path: ['end'] });
export type Schedule = z.infer<typeof ScheduleSchema>;

export const NewCampaignSchema = z.strictObject({
  name: z.string().min(1).max(200),
  category: z.enum(['marketing', 'care'], { error: 'must be marketing or care' }),
  audience: AudienceSchema,
  content: ContentSchema,
  schedule: ScheduleSchema,
  creator: z.string().min(1).max(64),
});
export type NewCampaign = z.infer<typeof NewCampaignSchema>;

/** draft → approved (batches written) → sending (tasks in WeCom) → done; or cancelled. */
export type CampaignStatus = 'draft' | 'approved' | 'done' | 'cancelled';

export interface Campaign extends NewCampaign {
  id: number;
  status: CampaignStatus;
  createdAt: number;
  approvedAt: number | null;
  cancelledAt: number | null;
}

/** Reasons a plan can give besides the pressure policy's. */
export type PlanReason = ReasonCode | 'SCHEDULE_FULL';

/** Who sends to a customer, and why that member (WeCom pushes a corp task only to the last chatter). */
export interface Route {
  sender: string;
  via: 'last_chat' | 'follow_owner';
}

export type Decision =
  | { kind: 'admitted'; sendAt: number; route: Route }
  | { kind: 'deferred'; sendAt: number; route: Route; reason: PlanReason; reasons: PlanReason[] }
  | { kind: 'excluded'; reason: PlanReason; reasons: PlanReason[]; nextAllowedAt: number | null; route: Route | null };

export interface PlanBatch {
  /** 1-based, stable for one plan: the outbox key is campaign:<id>:batch:<no>. */
  no: number;
  sender: string;
  sendAt: number;
  externalUserIds: string[];
}

export interface PlanSample {
  externalUserId: string;
  /** The customer's WeCom name, when known (filled after the pure plan). */
  name?: string;
  explanation: string;
}

export interface PlanSummary {
  at: number;
  audience: number;
  admitted: number;
  /** Deferred to a later send time within the schedule, by the first rule that deferred them. */
  deferred: Partial<Record<PlanReason, number>>;
  /** Left out, by the first failing rule in PLAN_REASON_ORDER. */
  excluded: Partial<Record<PlanReason, number>>;
  routing: { lastChat: number; followOwner: number };
  batches: { no: number; sender: string; sendAt: string; customers: number }[];
  samples: Partial<Record<PlanReason | 'ADMITTED', PlanSample[]>>;
}

/** Per-customer outcome once WeCom reports (wecom/API.md 4.11 send_result.status). */
export type RecipientResult = 'pending' | 'sent' | 'not_friend' | 'over_quota' | 'not_sent' | 'cancelled' | 'excluded';
