import { ReasonCode } from './types';

/** zh-CN wording of each pressure reason, for the sidebar and the suppression log. */
export const REASON_LABELS: Record<ReasonCode, string> = {
  RELATION_ENDED: '已解除好友关系',
  OUTSIDE_SERVICE_WINDOW: '客户近期没有来消息，不属于服务回复',
  COMPLAINT_OPEN: '投诉处理中，只跟进投诉',
  COMPLAINT_COOLDOWN: '投诉刚处理完，冷静期内不发营销',
  BACKOFF_PAUSED: '连续多次未回复，等客户先开口',
  QUIET_HOURS: '客户的休息时间',
  DAILY_CAP: '今天的次数已用完',
  WEEKLY_CAP: '本周的次数已用完',
  MONTHLY_CAP: '本月的次数已用完',
  MIN_GAP: '距上次主动联系太近',
  PLATFORM_QUOTA: '已达企业微信群发接收上限',
};
