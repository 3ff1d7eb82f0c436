/**
 * `--now <ISO>` for every command that evaluates "now": the command's decisions are then a
 * function of that instant, never of the machine's clock (tests and replays rely on this).
 */
export const NOW_OPTION_HELP = 'evaluate as if at this time (ISO 8601, e.g. 2026-03-02T09:00:00+08:00); default: the current time';

export function parseNowOption(value: string | undefined, wallClock: () => Date = () => new Date()): Date {
  if (value === undefined) return wallClock();
  const now = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(now.getTime())) {
    throw new Error(`--now must be an ISO time such as 2026-03-02T09:00:00+08:00 (got "${value}")`);
  }
  return now;
}
