import { DateTime } from 'luxon';
import cron from 'node-cron';

/**
 * Due slots computed from a cron expression and the clock, never from a timer firing on time:
 * node-cron 4.6 drops a slot outright when its tick is more than a second late, so the runner
 * only uses ticks as a reminder to look, and asks this module which slot is owed.
 *
 * Expressions are the five-field kind (minute resolution; node-cron's parser reads them).
 * Day of month and day of week must both match, as node-cron matches them.
 */
export interface CronSchedule {
  expression: string;
  timeZone: string;
  /** The latest scheduled instant at or before `at`, or null when none in the look-back window. */
  previous(at: Date): Date | null;
}

/** How far back a slot is looked for: covers yearly schedules, even a 29 February one. */
const LOOK_BACK_DAYS = 366 * 8;

export function parseSchedule(expression: string, timeZone: string): CronSchedule {
  let fields: ReturnType<typeof cron.parse>;
  try {
    fields = cron.parse(expression);
  } catch (err) {
    throw new Error(`invalid cron expression "${expression}": ${(err as Error).message}`);
  }
  if (fields.second.length !== 1 || fields.second[0] !== 0) {
    throw new Error(`cron expression "${expression}" has a seconds field; job slots are whole minutes`);
  }
  const numbers = (values: (number | string)[], field: string): Set<number> => {
    if (values.some((v) => typeof v !== 'number')) {
      throw new Error(`cron expression "${expression}": ${field} tokens such as L, W or # are not supported for jobs`);
    }
    return new Set(values as number[]);
  };
  const months = new Set(fields.month);
  const daysOfMonth = numbers(fields.dayOfMonth, 'day-of-month');
  const daysOfWeek = numbers(fields.dayOfWeek, 'day-of-week');
  const hoursDesc = [...fields.hour].sort((a, b) => b - a);
  const minutesDesc = [...fields.minute].sort((a, b) => b - a);

  return {
    expression,
    timeZone,
    previous(at) {
      const limit = at.getTime();
      const local = DateTime.fromMillis(limit, { zone: timeZone });
      if (!local.isValid) throw new Error(`invalid time zone "${timeZone}"`);
      // Walk back over calendar dates (plain date arithmetic; the zone matters only for times).
      const today = Date.UTC(local.year, local.month - 1, local.day);
      for (let d = 0; d <= LOOK_BACK_DAYS; d++) {
        const date = new Date(today - d * 86_400_000);
        const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
        if (!months.has(month) || !daysOfMonth.has(day) || !daysOfWeek.has(date.getUTCDay())) continue;
        for (const hour of hoursDesc) {
          if (d === 0 && hour > local.hour) continue; // later today
          for (const minute of minutesDesc) {
            const t = DateTime.fromObject({ year, month, day, hour, minute }, { zone: timeZone });
            // A local time that does not exist (skipped by a daylight-saving jump) is no slot.
            if (!t.isValid || t.hour !== hour || t.minute !== minute) continue;
            if (t.toMillis() <= limit) return t.toJSDate();
          }
        }
      }
      return null;
    },
  };
}

/** A scheduled slot's key in job_runs: its instant to the minute, in UTC (e.g. 2026-03-02T01:00). */
export function slotKey(slot: Date): string {
  return new Date(Math.floor(slot.getTime() / 60_000) * 60_000).toISOString().slice(0, 16);
}

/** The instant a scheduled slot key stands for; null for manual runs (`manual:…`). */
export function slotTime(key: string): Date | null {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(key) ? new Date(key + ':00.000Z') : null;
}
