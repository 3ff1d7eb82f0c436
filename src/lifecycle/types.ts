import { ComplaintPressure } from '../complaints/policy';
import { RelationStatus } from '../policy/types';
import { OrderFact, TierId } from '../tiers/types';

export type LifecycleStage = 'new' | 'active' | 'at_risk' | 'dormant' | 'lost';

export const STAGE_LABELS: Record<LifecycleStage, string> = {
  new: '新客',
  active: '活跃',
  at_risk: '流失风险',
  dormant: '沉睡',
  lost: '已流失',
};

export interface LifecycleFacts {
  /** Current tier; its norms in config/tiers.json say what "quiet for too long" means. */
  tier: TierId;
  relation: RelationStatus;
  /** When the relation ended, if it did. */
  relationEndedAt?: Date | null;
  /** When the customer added the rep (follow relation created). */
  addedAt: Date;
  orders: OrderFact[];
  /** Last message from the customer; null if they never wrote. */
  lastInboundAt: Date | null;
  /** Consecutive proactive touches since the customer last wrote. */
  unansweredTouches: number;
  /** A complaint is open or confirmed and not yet closed. */
  openComplaint: boolean;
  /**
   * The customer's complaints as pressure sees them: whether the open one is only a suggestion,
   * and how the latest real one ended (a refund or no resolution keeps the customer at risk).
   */
  complaint?: ComplaintPressure;
}

export type LifecycleSignalCode =
  | 'NEW_CUSTOMER'
  | 'RECENT_ACTIVITY'
  | 'NO_RECENT_PURCHASE'
  | 'NO_RECENT_CONTACT'
  | 'FREQUENCY_FALLING'
  | 'UNANSWERED_TOUCHES'
  | 'OPEN_COMPLAINT'
  | 'COMPLAINT_SUGGESTED'
  | 'COMPLAINT_AFTERMATH'
  | 'CUSTOMER_DELETED'
  | 'REP_DELETED'
  | 'RELATION_ENDED';

export interface LifecycleSignal {
  code: LifecycleSignalCode;
  /** zh-CN, e.g. "已 75 天未消费（核心客户通常 30 天内复购）". */
  label: string;
}

export interface LifecycleResult {
  stage: LifecycleStage;
  label: string;
  signals: LifecycleSignal[];
  /** Whole days; null when there is no such event. */
  daysSincePurchase: number | null;
  daysSinceInbound: number | null;
}
