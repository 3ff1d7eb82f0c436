import { DateTime } from 'luxon';
import { AppError } from '../errors';
import { issueText } from '../issue-text';
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
 * stored unless every row is good. The problems are zh-CN sentences that name the column as the
 * header spells it and say how to write it (the console shows them by line, verbatim).
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
    if (err instanceof CsvSyntaxError) throw invalid([{ line: err.line, message: syntaxText(err.message.replace(/^line \d+: /, '')) }]);
    throw err;
  }
  if (records.length === 0) throw invalid([{ line: 1, message: `文件是空的：第一行请写列名（${CSV_COLUMNS.join(',')}），从第二行起每行一条群内容` }]);
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const errors: RowError[] = [];
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  if (unknown.length) errors.push({ line: 1, message: `不认识的列 ${unknown.join('、')}：可用的列是 ${CSV_COLUMNS.join(', ')}，请检查拼写` });
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) errors.push({ line: 1, message: `缺少必填的列 ${missing.join('、')}，请在第一行加上` });
  if (errors.length) throw invalid(errors);
  const rows = records.slice(1);
  if (rows.length === 0) throw invalid([{ line: 1, message: '文件只有列名这一行，没有群内容：请从第二行起每行写一条' }]);
  if (rows.length > MAX_ROWS) throw invalid([{ line: 1, message: `文件里有 ${rows.length} 条群内容，一次最多导入 ${MAX_ROWS} 条：请拆成几个文件分批导入` }]);

  const posts: NewPost[] = [];
  for (const rec of rows) {
    const get = (c: (typeof CSV_COLUMNS)[number]) => {
      const i = header.indexOf(c);
      return i === -1 ? '' : (rec.fields[i] ?? '').trim();
    };
    const problems: string[] = [];
    if (rec.fields.length > header.length) problems.push(`这一行有 ${rec.fields.length} 个字段，但列名只有 ${header.length} 个：内容里有英文逗号的字段，请整个用英文双引号括起来`);
    const input = rowToInput(get, o.timeZone, problems);
    const r = NewPostSchema.safeParse(input);
    if (!r.success) problems.push(...r.error.issues.map((i) => issueText(i, columnOf(i.path), { name: csvName })));
    else {
      const b = scheduleBounds(r.data.schedule, o.timeZone);
      if (!b) problems.push('repeat 在 at 和 until 之间一天也没有：请检查 repeat 写的星期和 until 的日期');
      else if (b.last < o.now) problems.push(`at 的时间已经过去（最后一次是 ${DateTime.fromMillis(b.last, { zone: o.timeZone }).toFormat('yyyy-MM-dd HH:mm')}），请改成以后的时间`);
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
      problems.push('attachments 不是有效的 JSON 数组，请写成 [{"msgtype":"link","link":{"title":"…","url":"https://…"}}] 这样的格式');
    }
  }
  const at = parseLocal(get('at'), timeZone);
  let schedule: unknown;
  const repeat = get('repeat').toUpperCase();
  if (!at) {
    problems.push(get('at')
      ? `at 不是有效时间（填的是 "${get('at')}"），请写成 2026-03-02 10:00（${timeZone} 时间），或带时区的 ISO 时间`
      : `at 没有填写，请写成 2026-03-02 10:00（${timeZone} 时间），或带时区的 ISO 时间`);
    // A valid stand-in, so the row reports the time problem once (the row is rejected anyway).
    schedule = { at: '2999-01-01T00:00:00Z' };
  } else if (!repeat) {
    if (get('until')) problems.push('until 只用于重复发送：只发一次请把 until 留空，要重复发请填写 repeat');
    schedule = { at: at.toISO() };
  } else {
    const days = repeat === 'DAILY' ? 'daily' : repeat.split('|').map((d) => WEEKDAYS.indexOf(d.trim() as (typeof WEEKDAYS)[number]) + 1);
    const badDay = Array.isArray(days) && days.some((d) => d === 0);
    if (badDay) problems.push(`repeat 不是有效的重复方式（填的是 "${get('repeat')}"），请写 daily（每天），或用 | 连接的星期，例如 MON|THU`);
    if (!get('until')) problems.push('填写了 repeat 就必须填写 until（系列的最后一天），例如 2026-03-31');
    // A bad weekday is said once above; 'daily' stands in so the schema does not say it again.
    schedule = { series: { days: badDay ? 'daily' : days, time: at.toFormat('HH:mm'), from: at.toISODate(), until: get('until') || at.toISODate() } };
  }
  const move = get('move_within_hours');
  // Said here with what was typed (zod would only see NaN); the row is rejected anyway.
  const moveOk = !move || /^\d+$/.test(move);
  if (!moveOk) problems.push(`move_within_hours 要写成 0 到 168 之间的整数（小时），填的是 "${move}"`);
  return {
    name: get('name') || undefined, target, content, schedule, creator: get('creator') || undefined,
    ...(move && moveOk ? { moveWithinHours: Number(move) } : {}),
  };
}

function parseLocal(v: string, timeZone: string): DateTime | null {
  if (!v) return null;
  const d = /T/.test(v) ? DateTime.fromISO(v, { zone: timeZone }) : DateTime.fromFormat(v, 'yyyy-MM-dd HH:mm', { zone: timeZone });
  return d.isValid ? d : null;
}

const COLUMN_OF: Record<string, string> = { moveWithinHours: 'move_within_hours', namePattern: 'name_pattern', chatIds: 'chat_ids', schedule: 'at' };
/** A schema key named in a sentence, as the file's column (a series starts on at's day). */
const csvName = (key: string) => (key === 'from' ? 'at' : COLUMN_OF[key] ?? key);

/** The column an issue is about; '' when the sentence names the columns itself (no target, no content). */
function columnOf(path: PropertyKey[]): string {
  const [head, next] = path.map(String);
  if (head === 'target') return next ? COLUMN_OF[next] ?? next : '';
  if (head === 'content') return next === 'attachments' ? `attachments${path.length > 2 ? `[${String(path[2])}]${path.slice(3).map((k) => `.${String(k)}`).join('')}` : ''}` : next ?? '';
  if (head === 'schedule') return path.includes('until') ? 'until' : path.includes('days') ? 'repeat' : 'at';
  return COLUMN_OF[head] ?? head;
}

function invalid(errors: RowError[]): AppError {
  const shown = errors.slice(0, 20).map((e) => `第 ${e.line} 行：${e.message}`).join('；');
  const more = errors.length > 20 ? `；另有 ${errors.length - 20} 处问题未列出` : '';
  return new AppError('GROUP_POSTS_CSV_INVALID', `没有导入任何内容：共 ${errors.length} 处问题，请改正后重新导入整份文件。${shown}${more}`, { status: 400, details: { errors } });
}

/** src/orders/csv.ts's reader speaks English (the orders import is a machine path); said again for operators. */
const SYNTAX: Record<string, string> = {
  'unexpected character after a closing quote (quote the whole field, doubling inner quotes)':
    '右引号后面还有别的字符：请把整个字段用英文双引号括起来，字段里的引号写成两个 ""',
  'a quoted field is never closed': '从这一行开始的引号没有配对的右引号：请在字段末尾补上英文双引号 "',
};

function syntaxText(reason: string): string {
  return SYNTAX[reason] ?? 'CSV 格式不对：请检查这一行的英文逗号和双引号是否配对';
}
