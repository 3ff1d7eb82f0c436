import { LifecycleResult } from '../lifecycle/types';
import { RelationStatus } from '../policy/types';
import { TouchCategory, Verdict } from '../pressure/types';
import { OrderFact, TierId } from '../tiers/types';

/** Pressure verdicts at the same instant, one per kind of touch the actions would use. */
export interface PressureVerdicts {
  /** Replying to the customer. */
  service: Verdict;
  care: Verdict;
  marketing: Verdict;
  /** A care touch flagged as a complaint follow-up. */
  complaintFollowUp: Verdict;
}

export interface NextActionFacts {
  customer: {
    id: string;
    /** A customer-safe salutation (see wording.ts salutation), never the raw remark; fills {name}. */
    name: string;
  };
  /**
   * The relation as the viewing rep has it, when it differs from the customer's overall one (the
   * customer deleted this rep but still follows a colleague). Absent = the lifecycle's.
   */
  relation?: RelationStatus;
  /** Customer's IANA time zone; null/absent = the corp's. Birthdays are local dates. */
  timeZone?: string | null;
  tier: { id: TierId; label: string };
  lifecycle: LifecycleResult;
  pressure: PressureVerdicts;
  /** Customer messages not yet answered: how many and when the first of them arrived. */
  waiting: { count: number; since: Date } | null;
  complaint: { status: 'open' | 'confirmed'; openedAt: Date; summary?: string } | null;
  /** Open reminders for this customer's rep; a snoozed one has its new dueAt. kind post_sale_care carries post-sale care. */
  reminders: { id: string; title: string; dueAt: Date; message?: string; kind?: string }[];
  /**
   * True when care reminders are the source of post-sale care (the care-reminders job makes one per
   * step): then post-sale care is suggested only through its reminder, so done and snooze act on it.
   */
  postSaleFromReminders?: boolean;
  /**
   * The first instant at or after `from` the pressure policy allows proactive care (quiet hours,
   * gaps, caps), or null when only an event can lift it. Used to date 暂不打扰 exactly.
   */
  careAllowedFrom?: (from: Date) => Date | null;
  /** Recent orders, at least those inside the longest post-sale step (default 37 days). */
  orders: OrderFact[];
  firstPurchaseAt: Date | null;
  /** Month 1–12 and day 1–31 of the customer's birthday, if known. */
  birthday: { month: number; day: number } | null;
  lastInboundAt: Date | null;
  /** Last proactive touch of any kind; and of care specifically (wake-ups, revisits, greetings). */
  lastProactiveAt: Date | null;
  lastCareAt: Date | null;
  /** Consecutive proactive touches since the customer last wrote. */
  unansweredTouches: number;
  /** A marketing offer the rep could make now (e.g. a running campaign), or null. */
  offer: { title: string; product?: string } | null;
}

export type ActionKind =
  | 'service'
  | 'complaint_follow_up'
  | 'churn_wake_up'
  | 'reminder'
  | 'post_sale_care'
  | 'birthday'
  | 'anniversary'
  | 'revisit'
  | 'marketing'
  | 'give_space';

export interface ActionCandidate {
  kind: ActionKind;
  /** zh-CN, e.g. 先回复客户, 暂不打扰. */
  title: string;
  /** zh-CN reasons, most important first. */
  reasons: string[];
  /** Higher first; fixed by doctrine (see PRIORITY). */
  priority: number;
  /** Rendered 话术 the rep can edit and send; null when there is nothing to send. */
  message: string | null;
  /** The pressure category sending it counts as; null for give_space. */
  category: TouchCategory | null;
  /** False when pressure (or giving space) blocks it now. */
  allowed: boolean;
  /** zh-CN reasons it is blocked, empty when allowed. */
  blockedBy: string[];
  /** give_space: when contact becomes appropriate again; blocked candidates: when allowed. Null = when the customer writes. */
  until: Date | null;
  reminderId?: string;
  /** give_space: the 话术 meant for later, shown to read (not to insert) until `until`. */
  laterMessage?: string | null;
}

const ENDED_SIGNALS = ['CUSTOMER_DELETED', 'REP_DELETED', 'RELATION_ENDED'];

/** The relation has ended for the viewer: nothing can be sent, only notes and history make sense. */
export function relationEnded(f: Pick<NextActionFacts, 'relation' | 'lifecycle'>): boolean {
  if (f.relation !== undefined) return f.relation !== 'active';
  return f.lifecycle.signals.some((s) => ENDED_SIGNALS.includes(s.code));
}

export interface NextActionResult {
  /** Exactly one: the best allowed candidate, or a give_space answer. */
  recommendation: ActionCandidate;
  /** Every candidate considered, highest priority first (blocked ones included, marked). */
  candidates: ActionCandidate[];
}

/** Doctrine order. give_space outranks every proactive action when it is chosen on purpose. */
export const PRIORITY: Record<ActionKind, number> = {
  service: 100,
  give_space: 95,
  complaint_follow_up: 90,
  churn_wake_up: 80,
  reminder: 70,
  post_sale_care: 65,
  birthday: 60,
  anniversary: 55,
  revisit: 40,
  marketing: 20,
};

/** Priority of give_space when it is only the fallback (nothing else to do or allowed). */
export const FALLBACK_GIVE_SPACE_PRIORITY = 0;
