import { DateTime } from 'luxon';
import { OrderFact } from '../tiers/types';
import { standingPurchases } from '../tiers/purchases';
import { NextActionConfig } from './schema';

/** Date arithmetic for birthdays, anniversaries and post-sale steps, on the customer's calendar. */

const DAY = 86_400_000;

export interface AnnualOccasion {
  /** 0 = today, 1 = tomorrow … */
  daysUntil: number;
  /** The local date, e.g. "5月3日". */
  dateLabel: string;
  /** Full years since the original date (anniversaries). */
  years: number;
}

function utcDay(year: number, month: number, day: number): number {
  // 29 February in a common year is celebrated on the 28th.
  const last = DateTime.utc(year, month, 1).daysInMonth ?? 28;
  return Date.UTC(year, month - 1, Math.min(day, last)) / DAY;
}

/** The next local occurrence (today included) of month/day. */
export function nextAnnual(month: number, day: number, now: Date, timeZone: string, sinceYear?: number): AnnualOccasion {
  const today = DateTime.fromMillis(now.getTime(), { zone: timeZone });
  const todayDay = Date.UTC(today.year, today.month - 1, today.day) / DAY;
  let year = today.year;
  if (utcDay(year, month, day) < todayDay) year++;
  const target = utcDay(year, month, day);
  const shown = DateTime.fromMillis(target * DAY, { zone: 'utc' });
  return { daysUntil: target - todayDay, dateLabel: `${shown.month}月${shown.day}日`, years: sinceYear === undefined ? 0 : year - sinceYear };
}

/** Local calendar date of an instant, for anniversaries of the first purchase. */
export function localDate(at: Date, timeZone: string): { year: number; month: number; day: number } {
  const d = DateTime.fromMillis(at.getTime(), { zone: timeZone });
  return { year: d.year, month: d.month, day: d.day };
}

export interface PostSaleDue {
  order: OrderFact;
  step: NextActionConfig['postSaleCare'][number];
  daysSinceOrder: number;
}

/**
 * The post-sale step due now for the most recent order that has one, unless care was already
 * given since the step fell due (one follow-up per step, not one per sidebar visit).
 */
export function postSaleDue(orders: OrderFact[], lastCareAt: Date | null, now: Date, config: NextActionConfig): PostSaleDue | null {
  const t = now.getTime();
  const cared = lastCareAt ? lastCareAt.getTime() : -Infinity;
  // No 售后关怀 for a purchase the customer got refunded.
  const recentFirst = standingPurchases(orders, t).sort((a, b) => b.at.getTime() - a.at.getTime());
  for (const order of recentFirst) {
    for (const step of config.postSaleCare) {
      const due = order.at.getTime() + step.afterDays * DAY;
      if (t >= due && t < due + step.withinDays * DAY && cared < due) {
        return { order, step, daysSinceOrder: Math.floor((t - order.at.getTime()) / DAY) };
      }
    }
  }
  return null;
}
