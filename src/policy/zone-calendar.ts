import { DateTime, IANAZone } from 'luxon';

/**
 * Calendar arithmetic in one IANA time zone, memoised so that batch evaluation (a campaign to
 * 100k customers) pays for luxon once per distinct day, not once per customer.
 *
 * Every instant is epoch milliseconds. Calendar windows are half-open: [start, end).
 * Weeks start on Monday (ISO), as Chinese work calendars do.
 */

const MINUTE = 60_000;
export const DAY_MS = 24 * 60 * MINUTE;
// Since 1970 every tz offset is a multiple of 15 minutes and transitions happen at local
// whole/half hours, so each UTC quarter-hour has exactly one offset and can be cached as a unit.
const QUARTER_HOUR = 15 * MINUTE;

export interface CalendarWindows {
  dayStart: number;
  dayEnd: number;
  weekStart: number;
  weekEnd: number;
  monthStart: number;
  monthEnd: number;
}

export type WindowUnit = 'day' | 'week' | 'month';

export class ZoneCalendar {
  private readonly zone: IANAZone;
  private readonly offsets = new Map<number, number>();
  private readonly windowsByDay = new Map<number, CalendarWindows>();
  private readonly localTimes = new Map<number, number>();
  private lastBucket = NaN;
  private lastOffset = 0;
  private lastDay = NaN;
  private lastWindows: CalendarWindows | null = null;

  constructor(readonly timeZone: string) {
    this.zone = IANAZone.create(timeZone);
    if (!this.zone.isValid) throw new Error(`Unknown time zone "${timeZone}"; use an IANA name such as Asia/Shanghai`);
  }

  /** UTC offset in minutes at the instant. */
  offsetMinutes(ms: number): number {
    const bucket = Math.floor(ms / QUARTER_HOUR);
    // A batch asks about the same instant over and over: skip the Map for a repeat.
    if (bucket === this.lastBucket) return this.lastOffset;
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      offset = this.zone.offset(bucket * QUARTER_HOUR);
      this.offsets.set(bucket, offset);
    }
    this.lastBucket = bucket;
    this.lastOffset = offset;
    return offset;
  }

  /** Local calendar day as a day number (days since 1970-01-01 on the local calendar). */
  localDay(ms: number): number {
    return Math.floor((ms + this.offsetMinutes(ms) * MINUTE) / DAY_MS);
  }

  /** Minutes since local midnight, 0–1439. */
  minuteOfDay(ms: number): number {
    const local = ms + this.offsetMinutes(ms) * MINUTE;
    return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE);
  }

  /** ISO weekday of the local date: 1 = Monday … 7 = Sunday. */
  weekday(ms: number): number {
    // Day 0 (1970-01-01) was a Thursday.
    return ((((this.localDay(ms) + 3) % 7) + 7) % 7) + 1;
  }

  windows(ms: number): CalendarWindows {
    const day = this.localDay(ms);
    if (day === this.lastDay && this.lastWindows) return this.lastWindows;
    let w = this.windowsByDay.get(day);
    if (!w) {
      const dt = DateTime.fromMillis(ms, { zone: this.zone });
      const d = dt.startOf('day');
      const wk = dt.startOf('week');
      const mo = dt.startOf('month');
      w = {
        dayStart: d.toMillis(),
        dayEnd: d.plus({ days: 1 }).toMillis(),
        weekStart: wk.toMillis(),
        weekEnd: wk.plus({ weeks: 1 }).toMillis(),
        monthStart: mo.toMillis(),
        monthEnd: mo.plus({ months: 1 }).toMillis(),
      };
      this.windowsByDay.set(day, w);
    }
    this.lastDay = day;
    this.lastWindows = w;
    return w;
  }

  /** The first instant strictly after `ms` at which the local clock reads `minute` (minutes after midnight). */
  nextLocalTime(ms: number, minute: number): number {
    const day = this.localDay(ms);
    const today = this.instantOnLocalDay(day, minute);
    return today > ms ? today : this.instantOnLocalDay(day + 1, minute);
  }

  /** The instant the local clock reads `minute` on local day number `day` (a DST gap shifts it later). */
  instantOnLocalDay(day: number, minute: number): number {
    const key = day * 1440 + minute;
    let at = this.localTimes.get(key);
    if (at === undefined) {
      const date = DateTime.fromMillis(day * DAY_MS, { zone: 'utc' });
      at = DateTime.fromObject(
        { year: date.year, month: date.month, day: date.day, hour: Math.floor(minute / 60), minute: minute % 60 },
        { zone: this.zone },
      ).toMillis();
      this.localTimes.set(key, at);
    }
    return at;
  }
}

/** One calendar per zone for the duration of a computation (never global: caches would grow forever). */
export class CalendarCache {
  private readonly byZone = new Map<string, ZoneCalendar>();

  private last: ZoneCalendar | null = null;

  get(timeZone: string): ZoneCalendar {
    if (this.last?.timeZone === timeZone) return this.last;
    let cal = this.byZone.get(timeZone);
    if (!cal) {
      cal = new ZoneCalendar(timeZone);
      this.byZone.set(timeZone, cal);
    }
    this.last = cal;
    return cal;
  }
}

/** "09:30" → 570. Validated by the config schemas, so a bad value here is a programming error. */
export function parseClock(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new Error(`Expected a time of day like 09:30, got "${hhmm}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export function isValidTimeZone(timeZone: string): boolean {
  return IANAZone.isValidZone(timeZone);
}
