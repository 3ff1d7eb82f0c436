import { DateTime } from 'luxon';
import { ZoneCalendar } from './zone-calendar';

/** zh-CN wording shared by the judgement modules, so the sidebar reads the same everywhere. */

const WEEKDAYS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/** 12400 → "¥12,400". Whole yuan: the sidebar explains magnitudes, not cents. */
export function formatYuan(amount: number): string {
  const sign = amount < 0 ? '-' : '';
  return `${sign}¥${Math.round(Math.abs(amount)).toLocaleString('en-US')}`;
}

/** "5月3日", with the year only when it differs from `nowMs`'s year. */
export function formatDateZh(ms: number, cal: ZoneCalendar, nowMs?: number): string {
  const dt = DateTime.fromMillis(ms, { zone: cal.timeZone });
  const sameYear = nowMs === undefined || DateTime.fromMillis(nowMs, { zone: cal.timeZone }).year === dt.year;
  return `${sameYear ? '' : `${dt.year}年`}${dt.month}月${dt.day}日`;
}

/** "今天 10:00", "明天 10:00", "周四 10:00" within the coming week, else "5月3日 10:00". */
export function formatWhenZh(ms: number, nowMs: number, cal: ZoneCalendar): string {
  const days = cal.localDay(ms) - cal.localDay(nowMs);
  const minute = cal.minuteOfDay(ms);
  const time = `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
  if (days === 0) return `今天 ${time}`;
  if (days === 1) return `明天 ${time}`;
  if (days > 1 && days < 7) return `${WEEKDAYS[cal.weekday(ms)]} ${time}`;
  return `${formatDateZh(ms, cal, nowMs)} ${time}`;
}

/**
 * Fills {placeholders} in a 话术 template. A missing value renders as empty text rather than a
 * raw "{name}", because a rep may send the text as is.
 */
export function renderTemplate(template: string, vars: Record<string, string | number | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = vars[key];
    return v === undefined || v === null ? '' : String(v);
  });
}

/** Whole days between two instants, rounded down (a customer who wrote 47 hours ago wrote 1 day ago). */
export function daysBetween(fromMs: number, toMs: number): number {
  return Math.floor((toMs - fromMs) / 86_400_000);
}

/** "今天", "昨天", "3 天前" by the local calendar, not by 24-hour blocks. */
export function daysAgoZh(ms: number, nowMs: number, cal: ZoneCalendar): string {
  const d = cal.localDay(nowMs) - cal.localDay(ms);
  if (d <= 0) return '今天';
  if (d === 1) return '昨天';
  return `${d} 天前`;
}

/**
 * A past instant as a person says it: "刚刚", "5 分钟前", "3 小时前" within a day, then by the
 * local calendar "昨天", "19 天前" — never "456 小时前".
 */
export function agoZh(ms: number, nowMs: number, cal: ZoneCalendar): string {
  const diff = Math.max(0, nowMs - ms);
  if (diff < 60_000) return '刚刚';
  if (diff < 3_600_000) return `${Math.floor(diff / 60_000)} 分钟前`;
  if (diff < 86_400_000) return `${Math.floor(diff / 3_600_000)} 小时前`;
  const d = Math.max(1, cal.localDay(nowMs) - cal.localDay(ms));
  return d === 1 ? '昨天' : `${d} 天前`;
}

/** A count of whole days ago: 0 → "今天", 1 → "昨天", else "N 天前". */
export function dayCountAgoZh(days: number): string {
  if (days <= 0) return '今天';
  if (days === 1) return '昨天';
  return `${days} 天前`;
}

/**
 * A span of whole days: "不到 1 天", "12 天", "3 个月", "1 年", "1 年 11 个月". Months are 30 days
 * and years 365: the sidebar explains magnitudes, a span of 723 days is "1 年 11 个月", not a number to count.
 */
export function spanZh(days: number): string {
  if (days < 1) return '不到 1 天';
  if (days < 60) return `${days} 天`;
  if (days < 365) return `${Math.floor(days / 30)} 个月`;
  const years = Math.floor(days / 365);
  const months = Math.floor((days % 365) / 30);
  return months > 0 ? `${years} 年 ${months} 个月` : `${years} 年`;
}
