import { formatDateZh, formatWhenZh, formatYuan } from '../policy/zh';
import { ZoneCalendar } from '../policy/zone-calendar';
import type { TierTone } from './types';

/** zh-CN labels for instants and money as the sidebar shows them, in the corp's time zone. */
export class Formatter {
  readonly cal: ZoneCalendar;

  constructor(readonly timeZone: string, readonly nowMs: number) {
    this.cal = new ZoneCalendar(timeZone);
  }

  /** Past instants: "刚刚", "12 分钟前", "今天 14:05", "昨天 09:12", "3月5日 09:12", "2024年3月5日". */
  past(ms: number): string {
    const diff = this.nowMs - ms;
    if (diff >= 0 && diff < 60_000) return '刚刚';
    if (diff >= 0 && diff < 3_600_000) return `${Math.floor(diff / 60_000)} 分钟前`;
    const days = this.cal.localDay(this.nowMs) - this.cal.localDay(ms);
    const time = this.clock(ms);
    if (days === 0) return `今天 ${time}`;
    if (days === 1) return `昨天 ${time}`;
    const date = formatDateZh(ms, this.cal, this.nowMs);
    return date.includes('年') ? date : `${date} ${time}`;
  }

  /** Future (or due) instants: "今天 10:00", "明天 10:00", "周四 10:00", "5月3日 10:00". */
  when(ms: number): string {
    return formatWhenZh(ms, this.nowMs, this.cal);
  }

  date(ms: number): string {
    return formatDateZh(ms, this.cal, this.nowMs);
  }

  yuan(amount: number): string {
    return formatYuan(amount);
  }

  private clock(ms: number): string {
    const m = this.cal.minuteOfDay(ms);
    return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  }
}

/** Colour family of a tier by its rank among the configured tiers (0 = highest). */
export function tierTone(rank: number, tierCount: number): TierTone {
  if (rank <= 0) return 'top';
  if (rank === 1) return 'high';
  return rank >= tierCount - 1 ? 'low' : 'mid';
}
