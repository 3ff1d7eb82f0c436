import { DateTime } from 'luxon';
import type { PostSchedule, Series } from './types';

/**
 * When a post's occurrences fall: pure calendar arithmetic in the corp's time zone
 * (FENCUN_TIMEZONE). A series is "these weekdays at this local time, from this day to that day";
 * each occurrence is the instant the local clock reads that time on that day (a DST gap, where
 * a zone has one, moves it to the first valid instant after, as luxon does).
 */

const DAY = 86_400_000;

/** Every occurrence in [from, to), ascending. */
export function occurrencesBetween(schedule: PostSchedule, timeZone: string, from: number, to: number): number[] {
  if ('at' in schedule) {
    const at = Date.parse(schedule.at);
    return at >= from && at < to ? [at] : [];
  }
  return seriesBetween(schedule.series, timeZone, from, to);
}

/** The first and last occurrence of a schedule (null when a series has none, e.g. Mondays in a Tuesday-only range). */
export function scheduleBounds(schedule: PostSchedule, timeZone: string): { first: number; last: number } | null {
  if ('at' in schedule) {
    const at = Date.parse(schedule.at);
    return { first: at, last: at };
  }
  const all = seriesBetween(schedule.series, timeZone, -Infinity, Infinity);
  return all.length ? { first: all[0], last: all[all.length - 1] } : null;
}

function seriesBetween(s: Series, timeZone: string, from: number, to: number): number[] {
  const [hour, minute] = s.time.split(':').map(Number);
  const first = DateTime.fromISO(s.from, { zone: timeZone });
  const last = DateTime.fromISO(s.until, { zone: timeZone });
  // Start no earlier than the day before `from` (a local day can begin before its UTC day).
  let day = Number.isFinite(from) ? DateTime.max(first, DateTime.fromMillis(from - DAY, { zone: timeZone }).startOf('day')) : first;
  const out: number[] = [];
  const wanted = s.days === 'daily' ? null : new Set(s.days);
  for (; day <= last; day = day.plus({ days: 1 })) {
    if (wanted && !wanted.has(day.weekday)) continue;
    const at = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute }, { zone: timeZone }).toMillis();
    if (at >= to) break;
    if (at >= from) out.push(at);
  }
  return out;
}
