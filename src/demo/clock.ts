import { DateTime } from 'luxon';
import { Clock, systemClock } from '../clock';

/**
 * The demo's corp clock: the simulator and Fencun read the same one, so a callback's CreateTime,
 * a quiet-hours check and a job's "now" agree. It starts at a chosen instant and runs at real speed.
 */
export function offsetClock(start: Date, wall: Clock = systemClock): Clock {
  const offset = start.getTime() - wall().getTime();
  return () => new Date(wall().getTime() + offset);
}

/** `--at 10:30`: today (in the corp's time zone) at that local time. */
export function parseAtOption(value: string, wallNow: Date, timeZone: string): Date {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value.trim());
  if (!m) throw new Error(`--at must be a local time of day such as 10:30 or 22:15 (got "${value}")`);
  const today = DateTime.fromMillis(wallNow.getTime(), { zone: timeZone });
  return today.set({ hour: Number(m[1]), minute: Number(m[2]), second: 0, millisecond: 0 }).toJSDate();
}

/** "22:30 (Asia/Shanghai)", as the demo prints the corp clock. */
export function localTimeLabel(at: Date, timeZone: string): string {
  return `${DateTime.fromMillis(at.getTime(), { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm')} (${timeZone})`;
}
