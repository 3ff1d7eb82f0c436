/**
 * Plain inputs and outputs of tier scoring. The data layer loads these from the database;
 * nothing here knows where they came from.
 *
 * Conventions used by every judgement module: money is yuan (number, may have fen decimals),
 * instants are `Date`, counts are whole numbers.
 */

/** A tier id from config/tiers.json, e.g. "core", "key", "regular", "potential". */
export type TierId = string;

export interface OrderFact {
  /** When the order was paid. */
  at: Date;
  /** Net amount in yuan after refunds; a refund recorded separately is a negative amount. */
  amount: number;
  /** Product or order title, used by post-sale 话术. */
  product?: string;
  /** The order's id where known (post-sale care asks which orders still stand). */
  id?: string;
}

/** Message counts over `engagement.windowDays` of config/tiers.json, ending now. */
export interface EngagementFacts {
  /** Messages the customer sent us (any rep, any channel) inside the window. */
  inboundMessages: number;
  /** Our proactive touches (care, marketing, welcome) inside the window. */
  proactiveTouches: number;
  /** How many of those touches the customer answered (wrote back before the next touch). */
  answeredTouches: number;
  /** Last message from the customer, any time; null if they never wrote. */
  lastInboundAt: Date | null;
}

/** A rep's or supervisor's decision that beats the score, e.g. a strategic account. */
export interface TierOverride {
  tier: TierId;
  reason: string;
  /** Display name or userid of who set it. */
  author: string;
  setAt: Date;
  /** After this instant the override is ignored; null or absent = until removed. */
  expiresAt?: Date | null;
}

export interface CustomerFacts {
  customerId: string;
  orders: OrderFact[];
  engagement: EngagementFacts;
  /** Corp tag ids and/or names on the customer; matched against `tags` in config/tiers.json. */
  tags: string[];
  override?: TierOverride | null;
}

export type TierReasonCode =
  | 'RECENCY'
  | 'FREQUENCY'
  | 'MONETARY'
  | 'INBOUND'
  | 'REPLY_RATIO'
  | 'CONTACT_RECENCY'
  | 'TAG'
  | 'MANUAL_OVERRIDE';

export interface TierReason {
  code: TierReasonCode;
  /** zh-CN sentence for the sidebar, e.g. "近365天消费 ¥12,400". */
  label: string;
  /** Contribution to the score; the reasons' points always sum to `score`. */
  points: number;
}

export interface TierResult {
  tier: TierId;
  /** zh-CN label of the tier, e.g. 核心. */
  tierLabel: string;
  /** 0 = the highest tier in config order. */
  rank: number;
  score: number;
  /** The tier the score alone gives; differs from `tier` only under an active override. */
  scoredTier: TierId;
  reasons: TierReason[];
  /** The override in force, or null (an expired override is not in force). */
  override: TierOverride | null;
}
