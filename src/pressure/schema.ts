import { z } from 'zod';
import { DEFAULT_TIME_ZONE } from '../policy/types';
import { isValidTimeZone, parseClock } from '../policy/zone-calendar';

/** Shape of config/pressure.json and its compiled, ready-to-evaluate form. */

const count = z.number({ error: 'must be a whole number of touches such as 2' }).int('must be a whole number such as 2').min(0, 'must be 0 or more');
const hours = z.number({ error: 'must be a number of hours such as 48' }).min(0, 'must be 0 or more hours');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time such as 21:00');
const timeZone = z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Shanghai');

/**
 * WeCom's receiving quota for mass messages (企业群发 and 成员群发 counted together, per customer and
 * per customer group), as the corp admin set it in 群发助手 → 设置群发规则 (wecom/API.md section 5.4):
 * as many per calendar month as the month has days (WeCom's default), 7 per calendar week, or 1 per day.
 */
export const MASS_QUOTAS = ['days_in_month', 'seven_per_week', 'one_per_day'] as const;
export type MassQuota = (typeof MASS_QUOTAS)[number];
const MassQuotaSchema = z.enum(MASS_QUOTAS, { error: 'must be one of days_in_month, seven_per_week, one_per_day (as set in 群发助手 → 设置群发规则)' });

/** Caps per calendar window (policy time zone, weeks start Monday); omit a window for no cap. */
const caps = z.strictObject({ day: count.optional(), week: count.optional(), month: count.optional() });
const quietHours = z.strictObject({ start: hhmm, end: hhmm }).nullable();

const tierRule = z.strictObject({
  caps: z.strictObject({
    care: caps,
    marketing: caps,
    welcome: caps,
    /** All proactive 1:1 categories together (care + marketing + welcome). */
    proactive: caps,
  }),
  minGapHours: hours,
  quietHours,
  complaintCooldownDays: z.number({ error: 'must be a number of days such as 14' }).min(0, 'must be 0 or more days'),
  backoff: z
    .strictObject({
      slowAfter: z.number().int().min(1, 'must be a count of unanswered touches such as 2'),
      gapMultiplier: z.number().min(1, 'must be 1 or more, e.g. 2 doubles the gap'),
      pauseAfter: z.number().int().min(1, 'must be a count of unanswered touches such as 4'),
    })
    .refine((b) => b.slowAfter <= b.pauseAfter, { message: 'must not exceed pauseAfter, e.g. slowAfter 2 with pauseAfter 4', path: ['slowAfter'] }),
});

export const PressureConfigSchema = z
  .strictObject({
    $comment: z.string().optional(),
    serviceWindowHours: hours.refine((h) => h > 0, 'must be more than 0 hours, e.g. 48'),
    fallbackTier: z.string().min(1, 'must name a tier in "tiers", e.g. potential'),
    // WeCom's own quota (wecom/API.md section 5), applied outside every tier rule.
    platform: z.strictObject({
      $comment: z.string().optional(),
      timeZone,
      massQuota: MassQuotaSchema.default('days_in_month'),
    }),
    tiers: z.record(z.string(), tierRule),
    group: z.strictObject({ caps, minGapHours: hours, quietHours }),
  })
  .superRefine((c, ctx) => {
    if (!c.tiers[c.fallbackTier]) {
      ctx.addIssue({ code: 'custom', path: ['fallbackTier'], message: `must name a tier in "tiers" (one of: ${Object.keys(c.tiers).join(', ')})` });
    }
  });

export type PressureConfig = z.infer<typeof PressureConfigSchema>;
export type CapWindows = z.infer<typeof caps>;

export interface CompiledTierRule {
  caps: { care: CapWindows; marketing: CapWindows; welcome: CapWindows; proactive: CapWindows };
  minGapMs: number;
  quiet: { start: number; end: number } | null;
  cooldownMs: number;
  backoff: { slowAfter: number; gapMultiplier: number; pauseAfter: number };
}

export interface CompiledGroupRule {
  caps: CapWindows;
  minGapMs: number;
  quiet: { start: number; end: number } | null;
}

export interface PressurePolicy {
  config: PressureConfig;
  /** The corp's time zone (FENCUN_TIMEZONE): calendar windows, and quiet hours by default. */
  timeZone: string;
  serviceWindowMs: number;
  platform: PressureConfig['platform'];
  tiers: Map<string, CompiledTierRule>;
  fallback: CompiledTierRule;
  group: CompiledGroupRule;
}

const HOUR = 3_600_000;

function compileQuiet(q: { start: string; end: string } | null): { start: number; end: number } | null {
  if (!q) return null;
  const start = parseClock(q.start);
  const end = parseClock(q.end);
  // Equal start and end would mean "quiet all day" to some readers and "never" to others: never.
  return start === end ? null : { start, end };
}

/** Compiles a validated config for evaluation. `timeZone` is the corp's FENCUN_TIMEZONE. */
export function createPressurePolicy(config: PressureConfig, timeZone: string = DEFAULT_TIME_ZONE): PressurePolicy {
  if (!isValidTimeZone(timeZone)) throw new Error(`Unknown time zone "${timeZone}"; use an IANA name such as Asia/Shanghai`);
  const tiers = new Map<string, CompiledTierRule>();
  for (const [id, r] of Object.entries(config.tiers)) {
    tiers.set(id, {
      caps: r.caps,
      minGapMs: r.minGapHours * HOUR,
      quiet: compileQuiet(r.quietHours),
      cooldownMs: r.complaintCooldownDays * 24 * HOUR,
      backoff: r.backoff,
    });
  }
  return {
    config,
    timeZone,
    serviceWindowMs: config.serviceWindowHours * HOUR,
    platform: config.platform,
    tiers,
    fallback: tiers.get(config.fallbackTier)!,
    group: { caps: config.group.caps, minGapMs: config.group.minGapHours * HOUR, quiet: compileQuiet(config.group.quietHours) },
  };
}

export function tierRuleFor(policy: PressurePolicy, tier: string): CompiledTierRule {
  return policy.tiers.get(tier) ?? policy.fallback;
}
