import { ZoneCalendar } from '../policy/zone-calendar';

export type SnoozePreset = '1h' | 'tomorrow' | '3d' | '7d';

/** Snoozed reminders come back at the start of a work day (09:00, corp time), except "in an hour". */
const WORK_START_MINUTE = 9 * 60;

export function snoozeUntil(preset: SnoozePreset, now: Date, timeZone: string): Date {
  if (preset === '1h') return new Date(now.getTime() + 3_600_000);
  const cal = new ZoneCalendar(timeZone);
  const days = preset === 'tomorrow' ? 1 : preset === '3d' ? 3 : 7;
  return new Date(cal.instantOnLocalDay(cal.localDay(now.getTime()) + days, WORK_START_MINUTE));
}
