import { ComplaintPressure } from '../complaints/policy';
import { RelationStatus } from '../policy/types';
import { TierId } from '../tiers/types';

/**
 * `service` is a reply to the customer's own message inside the service window: never capped.
 * Everything else is proactive and counts against the customer's contact budget.
 */
export type TouchCategory = 'care' | 'marketing' | 'welcome' | 'group_content' | 'service';
export type ProactiveCategory = Exclude<TouchCategory, 'service'>;

/**
 * How a touch reaches the customer, which decides whether WeCom's mass-message quota applies
 * (wecom/API.md section 5):
 * - `corp_mass`: 企业群发 via add_msg_template by the corp;
 * - `member_mass`: 成员群发, a mass message a member creates;
 *   the two count together against the corp's quota setting (`platform.massQuota`);
 * - `direct`: 1:1 chat from the sidebar (no platform quota; our caps still apply);
 * - `welcome`: the 欢迎语 sent on add (one per add).
 */
export type TouchChannel = 'direct' | 'corp_mass' | 'member_mass' | 'welcome';

export interface Touch {
  at: Date;
  category: TouchCategory;
  /** Defaults by category: marketing and group_content → corp_mass, welcome → welcome, else direct. */
  channel?: TouchChannel;
}

export interface TouchRequest {
  category: TouchCategory;
  channel?: TouchChannel;
  /** A care touch that follows up an open complaint: the one proactive touch a complaint allows. */
  complaintFollowUp?: boolean;
}

/**
 * What pressure knows about one customer (or, for `group_content`, one customer group).
 * The data layer must load every touch since the customer last wrote and at least the last
 * PRESSURE_HISTORY_DAYS days; older touches cannot change a verdict.
 */
export interface PressureState {
  /** Customer id (external_userid), or the group chat id when evaluating group_content. */
  id: string;
  /** Tier id; an unknown tier gets the `fallbackTier` rule. Ignored for groups. */
  tier: TierId;
  /** Customer's IANA time zone for quiet hours; null/absent = the corp's FENCUN_TIMEZONE. */
  timeZone?: string | null;
  /** Touches already sent (or committed to), any order. Service touches are ignored. */
  touches: Touch[];
  /** Last message from the customer; null if they never wrote. */
  lastInboundAt: Date | null;
  complaint: ComplaintPressure;
  relation: RelationStatus;
}

/** Two calendar months back covers month caps, week caps that straddle a month and long gaps. */
export const PRESSURE_HISTORY_DAYS = 62;

export type ReasonCode =
  | 'RELATION_ENDED'
  | 'OUTSIDE_SERVICE_WINDOW'
  | 'COMPLAINT_OPEN'
  | 'COMPLAINT_COOLDOWN'
  | 'BACKOFF_PAUSED'
  | 'QUIET_HOURS'
  | 'DAILY_CAP'
  | 'WEEKLY_CAP'
  | 'MONTHLY_CAP'
  | 'MIN_GAP'
  /** WeCom's mass-message receiving quota (per customer, or per customer group) is used up. */
  | 'PLATFORM_QUOTA';

export type Verdict =
  | { allowed: true }
  | {
      allowed: false;
      /** Every rule that blocks the request now, in a stable order. */
      reasons: ReasonCode[];
      /**
       * Earliest instant the same request would be allowed if nothing else happens; null when
       * only an event reopens it (the customer writes, a complaint closes, the relation resumes).
       */
      nextAllowedAt: Date | null;
    };

/** Remaining proactive touches per calendar window; null = no cap in that window. */
export interface Budget {
  day: number | null;
  week: number | null;
  month: number | null;
}
