import { CalendarWindows, DAY_MS } from '../policy/zone-calendar';
import { MassQuota } from './schema';

/**
 * WeCom's mass-message receiving quota as one calendar window and a maximum (wecom/API.md
 * section 5.4, official 92135 of 2025-11-17): corp-created and member-created mass messages count
 * together, per customer and per customer group, on WeCom's calendar (Beijing time). Which of
 * the three rules a corp runs is the admin's choice in 群发助手 → 设置群发规则; Fencun cannot read
 * it, so it is the `platform.massQuota` setting.
 */
export interface QuotaWindow {
  unit: 'day' | 'week' | 'month';
  start: number;
  end: number;
  max: number;
}

export function quotaWindow(setting: MassQuota, w: CalendarWindows): QuotaWindow {
  if (setting === 'one_per_day') return { unit: 'day', start: w.dayStart, end: w.dayEnd, max: 1 };
  // Weeks are calendar weeks starting Monday, as WeCom's Chinese calendar has them.
  if (setting === 'seven_per_week') return { unit: 'week', start: w.weekStart, end: w.weekEnd, max: 7 };
  // "As many as the month has days": 28–31. Rounding keeps a zone with DST honest (Beijing has none).
  return { unit: 'month', start: w.monthStart, end: w.monthEnd, max: Math.round((w.monthEnd - w.monthStart) / DAY_MS) };
}
