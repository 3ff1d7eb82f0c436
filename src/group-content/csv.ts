import { DateTime } from 'luxon';
import { AppError } from '../errors';
import { CsvSyntaxError, parseCsv } from '../orders/csv';
import { scheduleBounds } from './calendar';
import { NewPostSchema, WEEKDAYS, type NewPost } from './types';

/**
 * A month of group posts from a CSV file (UTF-8, a header row, any column order):
 *
 *   name,at,repeat,until,owners,tags,name_pattern,chat_ids,text,attachments,move_within_hours,creator
 *   周一早安,2026-03-02 10:00,MON,2026-03-30,zhangsan|lisi,,,,早上好！本周活动……,,24,ops
 *   新品上架,2026-03-12 19:30,,,,VIP,,,新品到了,"[{""msgtype"":""link"",""link"":{""title"":""新品"",""url"":""https://example.com""}}]",,ops
 *
 * - at: "YYYY-MM-DD HH:MM" in FENCUN_TIMEZONE (or an ISO time with offset); with `repeat` it is
 *   the first day and the time of the series.
 * - repeat: empty (once), "daily", or weekdays joined by | (MON|THU); until: the series' last day.
 * - owners, tags, chat_ids: lists joined by |; name_pattern: * and ? wildcards.
 * - attachments: a JSON array as add_msg_template takes it (at most 9).
 *
 * Validated whole: one bad row rejects the file, with every row's problems listed; nothing is
 * stored unless every row is good.
 */

export const CSV_COLUMNS = ['name', 'at', 'repeat', 'until', 'owners', 'tags', 'name_pattern', 'chat_ids', 'text', 'attachments', 'move_within_hours', 'creator'] as const;
const REQUIRED = ['name', 'at', 'text', 'creator'] as const;
/** A month of posts is a few hundred rows; a far bigger file is a mistake. */
export const MAX_ROWS = 5_000;

export interface RowError {
  line: number;
  message: string;
}

export function parsePostsCsv(text: string, o: { timeZone: string; now: number }): NewPost[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw invalid([{ line: err.line, message: err.message.replace(/^line \d+: /, '') }]);
    throw err;
  }
  if (records.length === 0) throw invalid([{ line: 1, message: `the file is empty; the first row must name the columns (${CSV_COLUMNS.join(',')})` }]);
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const errors: RowError[] = [];
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  if (unknown.length) errors.push({ line: 1, message: `unknown column(s) ${unknown.join(', ')}; the columns are ${CSV_COLUMNS.join(', ')}` });
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) errors.push({ line: 1, message: `missing column(s) ${missing.join(', ')}` });
  if (errors.length) throw invalid(errors);
  const rows = records.slice(1);
  if (rows.length === 0) throw invalid([{ line: 1, message: 'the file has a header but no posts' }]);
  if (rows.length > MAX_ROWS) throw invalid([{ line: 1, message: `the file has ${rows.length} posts; import at most ${MAX_ROWS} at a time` }]);

  const posts: NewPost[] = [];
  for (const rec of rows) {
    const get = (c: (typeof CSV_COLUMNS)[number]) => {
      const i = header.indexOf(c);
      return i === -1 ? '' : (rec.fields[i] ?? '').trim();
    };
    const problems: string[] = [];
    if (rec.fields.length > header.length) problems.push(`has ${rec.fields.length} fields but the header has ${header.length} (quote a field that contains a comma)`);
    const input = rowToInput(get, o.timeZone, problems);
    const r = NewPostSchema.safeParse(input);
    if (!r.success) problems.push(...r.error.issues.map((i) => `${columnOf(i.path)} ${i.message}`));
    else {
      const b = scheduleBounds(r.data.schedule, o.timeZone);
      if (!b) problems.push('repeat: the series has no day between at and until');
      else if (b.last < o.now) problems.push(`at: the post's last time (${DateTime.fromMillis(b.last, { zone: o.timeZone }).toFormat('yyyy-MM-dd HH:mm')}) has already passed`);
      else posts.push(r.data);
    }
    for (const m of problems) errors.push({ line: rec.line, message: m });
  }
  if (errors.length) throw invalid(errors);
  return posts;
}

function rowToInput(get: (c: (typeof CSV_COLUMNS)[number]) => string, timeZone: string, problems: string[]): Record<string, unknown> {
  const list = (v: string) => (v ? v.split('|').map((x) => x.trim()).filter(Boolean) : undefined);
  const target: Record<string, unknown> = {};
  if (get('owners')) target.owners = list(get('owners'));
  if (get('tags')) target.tags = list(get('tags'));
  if (get('name_pattern')) target.namePattern = get('name_pattern');
  if (get('chat_ids')) target.chatIds = list(get('chat_ids'));
  const content: Record<string, unknown> = {};
  if (get('text')) content.text = get('text');
  if (get('attachments')) {
    try {
      content.attachments = JSON.parse(get('attachments'));
    } catch {
      problems.push('attachments must be a JSON array such as [{"msgtype":"link","link":{"title":"…","url":"https://…"}}]');
    }
  }
  const at = parseLocal(get('at'), timeZone);
  let schedule: unknown;
  const repeat = get('repeat').toUpperCase();
  if (!at) {
    problems.push(`at must be a time such as 2026-03-02 10:00 (${timeZone}) or an ISO time (got "${get('at')}")`);
    // A valid stand-in, so the row reports the time problem once (the row is rejected anyway).
    schedule = { at: '2999-01-01T00:00:00Z' };
  } else if (!repeat) {
    if (get('until')) problems.push('until is only for a repeating post; leave it empty or set repeat');
    schedule = { at: at.toISO() };
  } else {
    const days = repeat === 'DAILY' ? 'daily' : repeat.split('|').map((d) => WEEKDAYS.indexOf(d.trim() as (typeof WEEKDAYS)[number]) + 1);
    if (Array.isArray(days) && days.some((d) => d === 0)) problems.push(`repeat must be daily or weekdays joined by | such as MON|THU (got "${get('repeat')}")`);
    if (!get('until')) problems.push('until is required with repeat: the last day of the series, such as 2026-03-31');
    schedule = { series: { days: Array.isArray(days) ? days.filter((d) => d > 0) : days, time: at.toFormat('HH:mm'), from: at.toISODate(), until: get('until') || at.toISODate() } };
  }
  const move = get('move_within_hours');
  return {
    name: get('name') || undefined, target, content, schedule, creator: get('creator') || undefined,
    ...(move ? { moveWithinHours: Number(move) } : {}),
  };
}

function parseLocal(v: string, timeZone: string): DateTime | null {
  if (!v) return null;
  const d = /T/.test(v) ? DateTime.fromISO(v, { zone: timeZone }) : DateTime.fromFormat(v, 'yyyy-MM-dd HH:mm', { zone: timeZone });
  return d.isValid ? d : null;
}

const COLUMN_OF: Record<string, string> = { moveWithinHours: 'move_within_hours', namePattern: 'name_pattern', chatIds: 'chat_ids', schedule: 'at' };

function columnOf(path: PropertyKey[]): string {
  const [head, next] = path.map(String);
  if (head === 'target') return next ? COLUMN_OF[next] ?? next : 'target (owners, tags, name_pattern or chat_ids)';
  if (head === 'content') return next === 'attachments' ? `attachments${path.length > 2 ? `[${String(path[2])}]` : ''}` : next ?? 'text';
  if (head === 'schedule') return path.includes('until') ? 'until' : path.includes('days') ? 'repeat' : 'at';
  return COLUMN_OF[head] ?? head;
}

function invalid(errors: RowError[]): AppError {
  const shown = errors.slice(0, 20).map((e) => `line ${e.line}: ${e.message}`).join('; ');
  const more = errors.length > 20 ? `; and ${errors.length - 20} more` : '';
  return new AppError('GROUP_POSTS_CSV_INVALID', `nothing was imported: ${errors.length} problem(s) — ${shown}${more}`, { status: 400, details: { errors } });
}
