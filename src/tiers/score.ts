import { daysBetween, formatDateZh, formatYuan } from '../policy/zh';
import { ZoneCalendar } from '../policy/zone-calendar';
import { standingPurchases } from './purchases';
import { TiersConfig } from './schema';
import { CustomerFacts, TierId, TierReason, TierResult, TierOverride } from './types';

/**
 * Explainable tier scoring: every point comes with a zh-CN reason a rep can read out loud,
 * so "why is this customer 核心?" always has an answer. RFM on orders, plus engagement,
 * plus tags; a manual override decides the tier but never hides the score.
 */

const DAY = 86_400_000;

type AtLeast = { atLeast: number; points: number }[];
type Within = { withinDays: number; points: number }[];

/** Bands are pre-sorted by the schema: first match wins. */
function atLeast(bands: AtLeast, value: number): number {
  return bands.find((b) => value >= b.atLeast)?.points ?? 0;
}

function within(bands: Within, days: number | null): number {
  if (days === null) return 0;
  return bands.find((b) => days <= b.withinDays)?.points ?? 0;
}

/** `timeZone` only affects how an override's expiry date is written in the reason. */
export function scoreTier(facts: CustomerFacts, now: Date, config: TiersConfig, timeZone = 'Asia/Shanghai'): TierResult {
  const reasons = [...orderReasons(facts, now, config), ...engagementReasons(facts, now, config), ...tagReasons(facts, config)];
  const override = activeOverride(facts.override, now, config);
  if (override) {
    const label = tierLabel(override.tier, config);
    const until = override.expiresAt
      ? `，有效至 ${formatDateZh(override.expiresAt.getTime(), new ZoneCalendar(timeZone), now.getTime())}`
      : '';
    reasons.push({
      code: 'MANUAL_OVERRIDE',
      label: `手动设为「${label}」：${override.reason}（${override.author}${until}）`,
      points: 0,
    });
  }
  const score = reasons.reduce((sum, r) => sum + r.points, 0);
  const scoredTier = tierForScore(score, config);
  const tier = override ? override.tier : scoredTier;
  return { tier, tierLabel: tierLabel(tier, config), rank: tierRank(tier, config), score, scoredTier, reasons, override };
}

/** The highest tier whose minScore the score reaches; the lowest tier catches everything else. */
export function tierForScore(score: number, config: TiersConfig): TierId {
  const hit = config.tiers.find((t) => score >= t.minScore);
  return (hit ?? config.tiers[config.tiers.length - 1]).id;
}

export function tierRank(tier: TierId, config: TiersConfig): number {
  const i = config.tiers.findIndex((t) => t.id === tier);
  return i === -1 ? config.tiers.length : i;
}

export function tierLabel(tier: TierId, config: TiersConfig): string {
  return config.tiers.find((t) => t.id === tier)?.label ?? tier;
}

/** An override is in force until it expires; one naming a tier that no longer exists is ignored too. */
function activeOverride(o: TierOverride | null | undefined, now: Date, config: TiersConfig): TierOverride | null {
  if (!o) return null;
  if (o.expiresAt && o.expiresAt.getTime() <= now.getTime()) return null;
  if (!config.tiers.some((t) => t.id === o.tier)) return null;
  return o;
}

function orderReasons(facts: CustomerFacts, now: Date, config: TiersConfig): TierReason[] {
  const nowMs = now.getTime();
  // Future-dated orders are clock skew or bad imports; they must not inflate today's score.
  const past = facts.orders.filter((o) => o.at.getTime() <= nowMs);
  // A purchase refunded in full is no purchase: no recency or frequency points for it.
  const paid = standingPurchases(facts.orders, nowMs);
  const last = paid.reduce<number | null>((m, o) => Math.max(m ?? 0, o.at.getTime()), null);
  const sinceLast = last === null ? null : daysBetween(last, nowMs);

  const fWin = config.frequency.windowDays;
  const count = paid.filter((o) => o.at.getTime() > nowMs - fWin * DAY).length;
  const mWin = config.monetary.windowDays;
  // Refunds are negative amounts and cancel what they refund; a net negative window counts as zero.
  const spent = Math.max(0, past.filter((o) => o.at.getTime() > nowMs - mWin * DAY).reduce((s, o) => s + o.amount, 0));

  return [
    {
      code: 'RECENCY',
      label: sinceLast === null ? '从未消费' : sinceLast === 0 ? '今天刚消费' : `最近一次消费在 ${sinceLast} 天前`,
      points: within(config.recency, sinceLast),
    },
    { code: 'FREQUENCY', label: `近${fWin}天下单 ${count} 次`, points: atLeast(config.frequency.bands, count) },
    { code: 'MONETARY', label: `近${mWin}天消费 ${formatYuan(spent)}`, points: atLeast(config.monetary.bands, spent) },
  ];
}

function engagementReasons(facts: CustomerFacts, now: Date, config: TiersConfig): TierReason[] {
  const e = facts.engagement;
  const cfg = config.engagement;
  const win = cfg.windowDays;
  const reasons: TierReason[] = [
    { code: 'INBOUND', label: `近${win}天主动发来 ${e.inboundMessages} 条消息`, points: atLeast(cfg.inbound, e.inboundMessages) },
  ];
  // A ratio over one or two touches is noise; below minTouches it earns nothing either way.
  if (e.proactiveTouches >= cfg.replyRatio.minTouches) {
    const answered = Math.min(e.answeredTouches, e.proactiveTouches);
    const ratio = answered / e.proactiveTouches;
    reasons.push({
      code: 'REPLY_RATIO',
      label: `近${win}天回复了 ${answered}/${e.proactiveTouches} 次主动联系`,
      points: atLeast(cfg.replyRatio.bands, ratio),
    });
  } else {
    reasons.push({ code: 'REPLY_RATIO', label: `近${win}天主动联系不足 ${cfg.replyRatio.minTouches} 次，不计回复率`, points: 0 });
  }
  const since = e.lastInboundAt ? Math.max(0, daysBetween(e.lastInboundAt.getTime(), now.getTime())) : null;
  reasons.push({
    code: 'CONTACT_RECENCY',
    label: since === null ? '从未主动来消息' : since === 0 ? '今天来过消息' : `最近一次来消息在 ${since} 天前`,
    points: within(cfg.contactRecency, since),
  });
  return reasons;
}

function tagReasons(facts: CustomerFacts, config: TiersConfig): TierReason[] {
  const seen = new Set<string>();
  const out: TierReason[] = [];
  for (const tag of facts.tags) {
    const points = config.tags[tag];
    if (points === undefined || seen.has(tag)) continue;
    seen.add(tag);
    out.push({ code: 'TAG', label: `标签「${tag}」`, points });
  }
  return out;
}
