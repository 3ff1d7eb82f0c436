import { DateTime } from 'luxon';
import { z } from 'zod';
import type { CsvRecord } from '../orders/csv';

/**
 * Customer attributes WeCom does not know — a birthday, an anniversary — as sent to
 * `POST /api/customers/attributes` or imported from CSV (`npx fencun customers import`). One
 * validation for both. A field left out keeps what is stored; null (or, in the API, "") clears
 * it; in a CSV an empty cell leaves the stored value alone, so a file of birthdays does not wipe
 * anniversaries. Dates are calendar dates on the corp calendar (FENCUN_TIMEZONE).
 */

export const MAX_ATTRIBUTES_PER_REQUEST = 1000;

export interface AttributeInput {
  externalUserId: string;
  /** undefined: keep; null: clear. year null: unknown (a "05-03" birthday). */
  birthday?: { year: number | null; month: number; day: number } | null;
  /** "YYYY-MM-DD"; undefined: keep; null: clear. */
  anniversary?: string | null;
}

export interface AttributeError {
  /** Index in the API batch, or the CSV line. */
  index?: number;
  line?: number;
  field: string;
  reason: string;
}

export const CSV_ATTRIBUTE_COLUMNS: Record<string, 'external_user_id' | 'birthday' | 'anniversary'> = {
  external_user_id: 'external_user_id', externaluserid: 'external_user_id', 客户id: 'external_user_id',
  birthday: 'birthday', 生日: 'birthday',
  anniversary: 'anniversary', 纪念日: 'anniversary',
};

const ApiAttribute = z.object({
  external_user_id: z.string().min(1, 'must be the customer\'s external_userid'),
  birthday: z.string().nullish(),
  anniversary: z.string().nullish(),
}).strict();

export const ApiAttributeBatch = z.object({
  customers: z.array(z.unknown()).min(1, 'must hold at least one customer')
    .max(MAX_ATTRIBUTES_PER_REQUEST, `at most ${MAX_ATTRIBUTES_PER_REQUEST} customers per request`),
});

interface Ctx {
  timezone: string;
  now: number;
}

/** Validates API records; every problem of every record is reported by index and field. */
export function validateApiAttributes(records: unknown[], ctx: Ctx): { items: AttributeInput[]; errors: AttributeError[] } {
  const items: AttributeInput[] = [];
  const errors: AttributeError[] = [];
  const seen = new Map<string, number>();
  records.forEach((rec, index) => {
    const parsed = ApiAttribute.safeParse(rec);
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        errors.push({ index, field: i.path.join('.') || '(record)', reason: i.code === 'unrecognized_keys' ? `has unknown field(s) ${i.keys.join(', ')}; send external_user_id, birthday, anniversary` : i.message });
      }
      return;
    }
    const r = check(parsed.data.external_user_id, parsed.data.birthday, parsed.data.anniversary, ctx, true);
    if ('errors' in r) errors.push(...r.errors.map((e) => ({ index, ...e })));
    else if (seen.has(r.item.externalUserId)) errors.push({ index, field: 'external_user_id', reason: `repeats customer ${seen.get(r.item.externalUserId)} of this batch` });
    else {
      seen.set(r.item.externalUserId, index);
      items.push(r.item);
    }
  });
  return { items, errors };
}

/** Validates a CSV (header row first); errors name the line and column. */
export function readAttributesCsv(records: CsvRecord[], ctx: Ctx): { items: AttributeInput[]; errors: AttributeError[]; ignoredColumns: string[] } {
  const [header, ...rows] = records;
  if (!header) return { items: [], errors: [{ line: 1, field: '(file)', reason: 'is empty: expected a header row such as external_user_id,birthday,anniversary' }], ignoredColumns: [] };
  const columns = header.fields.map((f) => CSV_ATTRIBUTE_COLUMNS[f.trim().toLowerCase()] ?? CSV_ATTRIBUTE_COLUMNS[f.trim()]);
  const ignoredColumns = header.fields.filter((_, i) => !columns[i]).map((f) => f.trim());
  if (!columns.includes('external_user_id')) {
    return { items: [], errors: [{ line: header.line, field: '(header)', reason: 'has no external_user_id column (客户id)' }], ignoredColumns };
  }
  if (!columns.includes('birthday') && !columns.includes('anniversary')) {
    return { items: [], errors: [{ line: header.line, field: '(header)', reason: 'needs a birthday (生日) or anniversary (纪念日) column' }], ignoredColumns };
  }
  if (rows.length === 0) return { items: [], errors: [{ line: header.line + 1, field: '(file)', reason: 'holds no customers after the header' }], ignoredColumns };
  const items: AttributeInput[] = [];
  const errors: AttributeError[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const cell = (name: string) => {
      const i = columns.indexOf(name as never);
      const v = i >= 0 ? row.fields[i]?.trim() : undefined;
      // An empty cell keeps what is stored.
      return v === undefined || v === '' ? undefined : v;
    };
    const r = check(cell('external_user_id') ?? '', cell('birthday'), cell('anniversary'), ctx, false);
    if ('errors' in r) errors.push(...r.errors.map((e) => ({ line: row.line, ...e })));
    else if (seen.has(r.item.externalUserId)) errors.push({ line: row.line, field: 'external_user_id', reason: `repeats the customer of line ${seen.get(r.item.externalUserId)}` });
    else {
      seen.set(r.item.externalUserId, row.line);
      items.push(r.item);
    }
  }
  return { items, errors, ignoredColumns };
}

function check(
  externalUserId: string, birthday: string | null | undefined, anniversary: string | null | undefined, ctx: Ctx, emptyClears: boolean,
): { item: AttributeInput } | { errors: Omit<AttributeError, 'index' | 'line'>[] } {
  const errors: Omit<AttributeError, 'index' | 'line'>[] = [];
  const id = externalUserId.trim();
  if (!id) errors.push({ field: 'external_user_id', reason: 'is missing: each row needs the customer\'s external_userid' });
  else if (id.length > 128) errors.push({ field: 'external_user_id', reason: 'is longer than 128 characters; is it really an external_userid?' });
  const item: AttributeInput = { externalUserId: id };
  const clear = (v: string | null | undefined) => v === null || (emptyClears && v !== undefined && v.trim() === '');
  if (clear(birthday)) item.birthday = null;
  else if (birthday !== undefined && birthday !== null) {
    const b = parseBirthday(birthday.trim(), ctx);
    if (typeof b === 'string') errors.push({ field: 'birthday', reason: b });
    else item.birthday = b;
  }
  if (clear(anniversary)) item.anniversary = null;
  else if (anniversary !== undefined && anniversary !== null) {
    const a = parseDate(anniversary.trim(), ctx);
    if (typeof a === 'string') errors.push({ field: 'anniversary', reason: a });
    else item.anniversary = a.toISODate()!;
  }
  if (item.birthday === undefined && item.anniversary === undefined && errors.length === 0) {
    errors.push({ field: '(record)', reason: 'has neither a birthday nor an anniversary: send at least one (null clears a stored one)' });
  }
  return errors.length ? { errors } : { item };
}

/** "1990-05-03", "1990/5/3" or a year-less "05-03" / "5月3日". */
function parseBirthday(s: string, ctx: Ctx): { year: number | null; month: number; day: number } | string {
  const short = /^(\d{1,2})[-/.月](\d{1,2})日?$/.exec(s);
  if (short) {
    const month = Number(short[1]);
    const day = Number(short[2]);
    // 2000 is a leap year: 02-29 is a birthday.
    if (!DateTime.utc(2000, month, day).isValid) return `"${s}" is not a calendar date (month-day, e.g. 05-03)`;
    return { year: null, month, day };
  }
  const d = parseDate(s, ctx);
  if (typeof d === 'string') return d.replace('a date such as 2019-06-01', 'a date such as 1990-05-03, or 05-03 without the year');
  if (d.year < 1900) return `"${s}" is before 1900; send the year-less 05-03 form if the year is unknown`;
  return { year: d.year, month: d.month, day: d.day };
}

function parseDate(s: string, ctx: Ctx): DateTime | string {
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(s);
  if (!m) return `"${s}" is not a date: send a date such as 2019-06-01`;
  const d = DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, { zone: ctx.timezone });
  if (!d.isValid) return `"${s}" is not a calendar date: send a date such as 2019-06-01`;
  if (d.toMillis() > ctx.now) return `"${s}" is in the future; send a date that has happened`;
  return d;
}
