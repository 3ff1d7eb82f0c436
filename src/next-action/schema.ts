import { z } from 'zod';
import { DEFAULT_SALUTATION } from './wording';

/**
 * Shape of config/next-action.json: timings and 话术 templates. The *order* of actions is not
 * configurable: service first, then complaints, churn risk, care, and marketing last is the
 * doctrine Fencun exists to enforce.
 */

const days = z.number({ error: 'must be a number of days such as 3' }).int('must be whole days such as 3').min(0, 'must be 0 or more days');
const template = z.strictObject({
  title: z.string().min(1, 'must be a short zh-CN title such as 售后关怀'),
  /** 话术 with placeholders {name} {product} {days} {years} {offer} {tier} {date}. */
  message: z.string(),
});

export const TEMPLATE_KEYS = [
  'service',
  'late_reply',
  'complaint_follow_up',
  'churn_wake_up',
  'reminder',
  'birthday',
  'anniversary',
  'revisit',
  'marketing',
  'give_space',
] as const;

export const NextActionConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  /** Post-sale care steps after each order, e.g. day 3 (arrived?) and day 30 (how is it going?). */
  postSaleCare: z
    .array(z.strictObject({ afterDays: days, withinDays: days.refine((d) => d >= 1, 'must be at least 1 day'), template }))
    .default([]),
  /** Birthdays and first-purchase anniversaries are suggested from this many days before. */
  occasionLeadDays: days,
  /** Revisit cadence per tier id: days without care or conversation before a revisit is due. */
  revisitCadenceDays: z.record(z.string(), days.refine((d) => d >= 1, 'must be at least 1 day')),
  /** Tiers whose at-risk or dormant customers get a personal wake-up instead of any marketing. */
  highValueTiers: z.array(z.string()).min(1, 'must list at least one tier id, e.g. ["core","key"]'),
  giveSpace: z.strictObject({
    /** Unanswered proactive touches after which Fencun suggests giving space. */
    afterUnanswered: z.number().int().min(1, 'must be a count of touches such as 3'),
    /** How long to give, counted from the last touch. */
    days: days.refine((d) => d >= 1, 'must be at least 1 day'),
  }),
  /**
   * How a 话术 addresses the customer. remark_prefix: the rep's remark up to the first separator
   * ("谢总-门店" → "谢总"), else the WeCom name; wecom_name: always the WeCom name. The whole remark
   * is a private note and is never used.
   */
  salutation: z.strictObject({
    $comment: z.string().optional(),
    source: z.enum(['wecom_name', 'remark_prefix'], { error: 'must be "remark_prefix" or "wecom_name"' }),
    separators: z.array(z.string().min(1, 'must be one or more characters such as "-"')).default(DEFAULT_SALUTATION.separators),
  }).default(DEFAULT_SALUTATION),
  templates: z.strictObject(Object.fromEntries(TEMPLATE_KEYS.map((k) => [k, template])) as Record<(typeof TEMPLATE_KEYS)[number], typeof template>),
});

export type NextActionConfig = z.infer<typeof NextActionConfigSchema>;
export type ActionTemplate = z.infer<typeof template>;
