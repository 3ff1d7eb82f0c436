import type { Formatter } from '../sidebar-api/format';

/** The kinds of follow-up a rep records (issue 13): how they reached the customer. */
export const FOLLOW_UP_TYPES = ['wechat', 'phone', 'store', 'visit'] as const;
export type FollowUpType = (typeof FOLLOW_UP_TYPES)[number];

export const FOLLOW_UP_LABELS: Record<FollowUpType, string> = { wechat: '微信', phone: '电话', store: '到店', visit: '拜访' };

/** "电话跟进", "到店跟进 · 下次跟进 周五 15:00" (an unknown stored kind reads as a plain 跟进记录). */
export function followUpTitle(type: string, nextAt: number | null, f: Formatter): string {
  const label = FOLLOW_UP_LABELS[type as FollowUpType];
  const head = label ? `${label}跟进` : '跟进记录';
  return nextAt === null ? head : `${head} · 下次跟进 ${f.when(nextAt)}`;
}
