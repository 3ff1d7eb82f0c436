import { DateTime } from 'luxon';
import { cleanName, salutation, type SalutationRule } from '../next-action/wording';
import type { CustomFieldConfig, ProfileConfig } from './config';

/**
 * Pure rules for the profile fields a rep edits: what a valid value is (each problem a Chinese
 * sentence the rep can act on), how a phone is shown, and how a 称呼 addresses the customer.
 */

/** Limits as WeCom's externalcontact/remark keeps them (longer values are refused there). */
export const LIMITS = { salutation: 12, region: 30, company: 20, description: 150 } as const;

export interface ProfileInput {
  salutation?: string | null;
  phone?: string | null;
  birthday?: string | null;
  region?: string | null;
  company?: string | null;
  description?: string | null;
  custom?: Record<string, string | number | null>;
}

export interface CheckedProfile {
  salutation?: string | null;
  phone?: string | null;
  birthday?: { year: number | null; month: number; day: number } | null;
  region?: string | null;
  company?: string | null;
  description?: string | null;
  /** Only the keys sent; null clears one. */
  custom?: Record<string, string | number | null>;
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** Empty text clears a field, like null. */
const blank = (v: string | null | undefined) => v === null || (typeof v === 'string' && v.trim() === '');

export function checkProfile(input: ProfileInput, cfg: ProfileConfig, rule: SalutationRule, ctx: { timeZone: string; now: number }): { value: CheckedProfile; problems: FieldProblem[] } {
  const out: CheckedProfile = {};
  const problems: FieldProblem[] = [];
  const text = (field: 'region' | 'company' | 'description', label: string) => {
    const v = input[field];
    if (v === undefined) return;
    if (blank(v)) return void (out[field] = null);
    const t = v!.trim();
    if (t.length > LIMITS[field]) problems.push({ field, message: `${label}最多 ${LIMITS[field]} 个字（现在 ${t.length} 个）` });
    else out[field] = t;
  };

  if (input.salutation !== undefined) {
    if (blank(input.salutation)) out.salutation = null;
    else {
      const s = input.salutation!.trim();
      const safe = salutation({ ...rule, source: 'remark_prefix' }, s, null);
      if (s.length > LIMITS.salutation) problems.push({ field: 'salutation', message: `称呼最多 ${LIMITS.salutation} 个字，例如「王姐」「陈总」` });
      else if (!cleanName(s)) problems.push({ field: 'salutation', message: '称呼要是客户能看到的名字，例如「王姐」「陈总」' });
      // The 称呼 goes into 话术 as written: anything the salutation rule would cut off is a note.
      else if (safe !== s) problems.push({ field: 'salutation', message: `称呼会出现在发给客户的话术里，请只写称呼（例如「${safe || '王姐'}」），备注写在描述里` });
      else out.salutation = s;
    }
  }

  if (input.phone !== undefined) {
    if (blank(input.phone)) out.phone = null;
    else {
      const p = normalisePhone(input.phone!);
      if (!p) problems.push({ field: 'phone', message: '手机号格式不对：请填 11 位手机号（如 13800001111）或带区号的座机（如 021-12345678）' });
      else out.phone = p;
    }
  }

  if (input.birthday !== undefined) {
    if (blank(input.birthday)) out.birthday = null;
    else {
      const b = parseBirthday(input.birthday!.trim(), ctx);
      if (typeof b === 'string') problems.push({ field: 'birthday', message: b });
      else out.birthday = b;
    }
  }

  text('region', '地区');
  text('company', '公司');
  text('description', '描述');

  if (input.custom !== undefined) {
    const fields = new Map(cfg.customFields.map((f) => [f.key, f]));
    const custom: Record<string, string | number | null> = {};
    for (const [key, raw] of Object.entries(input.custom)) {
      const f = fields.get(key);
      if (!f) {
        problems.push({ field: `custom.${key}`, message: `没有「${key}」这个资料项（可填：${cfg.customFields.map((x) => x.label).join('、') || '无'}）` });
        continue;
      }
      const r = checkCustom(f, raw, ctx);
      if (typeof r === 'object' && r !== null && 'problem' in r) problems.push({ field: `custom.${key}`, message: r.problem });
      else custom[key] = r as string | number | null;
    }
    out.custom = custom;
  }
  return { value: out, problems };
}

function checkCustom(f: CustomFieldConfig, raw: unknown, ctx: { timeZone: string; now: number }): string | number | null | { problem: string } {
  if (raw === null || (typeof raw === 'string' && raw.trim() === '')) return null;
  if (f.type === 'number') {
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Number.isFinite(n) || Math.abs(n) > 1e12) return { problem: `${f.label}要填一个数字` };
    return n;
  }
  if (typeof raw !== 'string') return { problem: `${f.label}要填文字` };
  const v = raw.trim();
  if (f.type === 'select') return f.options!.includes(v) ? v : { problem: `${f.label}只能选：${f.options!.join('、')}` };
  if (f.type === 'date') {
    const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    const dt = d ? DateTime.fromObject({ year: +d[1], month: +d[2], day: +d[3] }, { zone: ctx.timeZone }) : null;
    return dt?.isValid ? v : { problem: `${f.label}要填日期，例如 2025-03-08` };
  }
  return v.length > f.maxLength ? { problem: `${f.label}最多 ${f.maxLength} 个字` } : v;
}

/** A mainland mobile (+86 and separators dropped) or a landline with its area code; null if neither. */
export function normalisePhone(raw: string): string | null {
  const s = raw.normalize('NFKC').replace(/[\s()-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  if (/^1[3-9]\d{9}$/.test(s)) return s;
  const land = /^(0\d{2,3})(\d{7,8})$/.exec(s);
  return land ? `${land[1]}-${land[2]}` : null;
}

/** 138****0001 (mobile), 021-****5678 (landline): enough to recognise, not to copy. */
export function maskPhone(p: string): string {
  if (/^1\d{10}$/.test(p)) return `${p.slice(0, 3)}****${p.slice(7)}`;
  const dash = p.indexOf('-');
  if (dash > 0) return `${p.slice(0, dash + 1)}****${p.slice(-4)}`;
  return p.length > 4 ? `${'*'.repeat(p.length - 4)}${p.slice(-4)}` : '****';
}

/** "1990-05-03" (a date input) or a year-less "05-03" / "5月3日". */
function parseBirthday(s: string, ctx: { timeZone: string; now: number }): { year: number | null; month: number; day: number } | string {
  const bad = '生日要填日期，例如 1990-05-03；不知道年份就填 05-03';
  const short = /^(\d{1,2})[-/.月](\d{1,2})日?$/.exec(s);
  if (short) {
    const month = Number(short[1]);
    const day = Number(short[2]);
    // 2000 is a leap year: 02-29 is a birthday.
    return DateTime.utc(2000, month, day).isValid ? { year: null, month, day } : bad;
  }
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(s);
  if (!m) return bad;
  const d = DateTime.fromObject({ year: +m[1], month: +m[2], day: +m[3] }, { zone: ctx.timeZone });
  if (!d.isValid) return bad;
  if (d.year < 1900) return '生日的年份早于 1900 年；不知道年份就填 05-03';
  if (d.toMillis() > ctx.now) return '生日不能晚于今天';
  return { year: d.year, month: d.month, day: d.day };
}

export function birthdayText(b: { year: number | null; month: number; day: number }): string {
  const md = `${String(b.month).padStart(2, '0')}-${String(b.day).padStart(2, '0')}`;
  return b.year === null ? md : `${b.year}-${md}`;
}

/**
 * How a 话术 addresses the customer: the 称呼 the rep set (checked customer-safe when it was
 * saved), else the configured rule over the remark and the WeCom name.
 */
export function addressName(setSalutation: string | null | undefined, rule: SalutationRule, remark: string | null | undefined, wecomName: string | null | undefined): string {
  const own = cleanName(setSalutation);
  return own || salutation(rule, remark, wecomName);
}
