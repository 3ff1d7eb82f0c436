import type { z } from 'zod';

/**
 * Zod's validation issues as zh-CN sentences an operator can act on: what is wrong with which
 * field and how to write it instead. The console shows these messages verbatim (campaigns, group
 * posts, the CSV import), and its users are Chinese operators; the API's `code` stays the
 * machine-readable part. Field names stay as the operator typed them (JSON paths, CSV columns).
 *
 * Two sources of wording: Zod's own defaults (read from the issue's code and limits, never from
 * its English message), and the sentences our schemas give their refinements
 * (src/campaigns/types.ts, src/group-content/types.ts), translated here by their exact text so the
 * schemas need not change. A schema sentence missing from REFINEMENTS still gets a generic Chinese
 * one from its code; test/unit/issue-text.test.ts triggers each sentence listed here.
 */

export type Issue = z.core.$ZodIssue;

export interface IssueTextOptions {
  /** How a key of the schema is shown (CSV: `namePattern` → `name_pattern`); default as is. */
  name?: (key: string) => string;
  /** The parsed input, to quote what was given for a wrong type or value. */
  input?: unknown;
}

type Refinement = (name: (key: string) => string) => string;

/** Our schemas' own refinement sentences → what the field is told (after its name). */
const REFINEMENTS: Record<string, Refinement> = {
  'must be an ISO time such as 2026-03-02T10:00:00+08:00': () => '不是有效时间，请写成带时区的 ISO 时间，例如 2026-03-02T10:00:00+08:00',
  'must be a date such as 2026-03-31': () => '不是有效日期，请写成 2026-03-31 这样的格式',
  'must be a real calendar date such as 2026-03-31': () => '不是日历上存在的日期，请写成 2026-03-31 这样的真实日期',
  'must be a 24-hour time such as 10:00': () => '不是有效的 24 小时制时间，请写成 10:00 这样的格式',
  "at most 2000 groups (WeCom's limit per task)": () => '最多 2000 个群（企业微信每个群发任务的上限），请拆成几条群内容',
  'needs at least one of owners, tags, namePattern, chatIds': (n) =>
    `没有指定发给哪些群，请在 ${['owners', 'tags', 'namePattern', 'chatIds'].map(n).join('、')} 中至少填一项`,
  'weekdays are 1 (Monday) to 7 (Sunday)': () => '要写 1（周一）到 7（周日）之间的数字',
  'until must not be before from': (n) => `早于开始日期 ${n('from')}，请改成开始日期当天或之后`,
  'a series may span at most 366 days': () => '离开始日期超过 366 天（一个系列最长 366 天），请提前结束日期，或拆成几个系列',
  'must be { "at": ISO time } or { "series": { days, time, from, until } }': () =>
    '格式不对，请写成 { "at": ISO 时间 }（发一次）或 { "series": { days, time, from, until } }（重复发）',
  'needs media_id, pic_url or material_id': () => '缺少图片：media_id、pic_url、material_id 至少要填一项',
  'needs media_id or material_id': () => '缺少文件：media_id、material_id 至少要填一项',
  "must be at most 4000 bytes (WeCom's limit)": () => '超过 4000 字节（企业微信的上限，约 1300 个汉字），请缩短',
  "at most 9 attachments (WeCom's limit)": () => '最多 9 个附件（企业微信的上限），请删掉多余的',
  'needs text or at least one attachment': (n) => `没有内容：${n('text')} 和 ${n('attachments')} 至少要填一项`,
  'end must be after start': (n) => `必须晚于开始时间 ${n('start')}，请调整时间`,
};

/** The schema sentences translated above (a test triggers each, so a reworded schema is noticed). */
export const REFINEMENT_SENTENCES: readonly string[] = Object.keys(REFINEMENTS);

/** One issue as "field 说明"; `field` is the name to show ('' to give the sentence alone). */
export function issueText(issue: Issue, field: string, o: IssueTextOptions = {}): string {
  const name = o.name ?? ((k: string) => k);
  const said = REFINEMENTS[issue.message]?.(name) ?? byCode(issue, o.input);
  // "schedule.end 必须…", but "活动里有…": no space after a Chinese subject.
  return field ? `${field}${/[\u3400-\u9fff]$/.test(field) ? '' : ' '}${said}` : said;
}

/** Every issue, each as issueText with its path as the field name, joined into one sentence. */
export function issuesText(issues: readonly Issue[], o: IssueTextOptions & { root: string; field?: (path: PropertyKey[]) => string }): string {
  return issues.map((i) => issueText(i, o.field ? o.field(i.path) : i.path.map(String).join('.') || o.root, o)).join('；');
}

const TYPE_WORDS: Record<string, string> = {
  string: '文字', number: '数字', int: '整数', boolean: 'true 或 false', array: '列表（[…]）', object: '对象（{…}）',
};

function byCode(issue: Issue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const given = valueAt(input, issue.path);
      // A key that is absent arrives as "expected …, received undefined".
      if (given === undefined && (input !== undefined || /received undefined$/.test(issue.message))) return '没有填写，这一项必填';
      const what = TYPE_WORDS[issue.expected] ?? issue.expected;
      return `要写成${what}${given === undefined ? '' : `（收到的是 ${quote(given)}）`}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? '不能为空' : `至少要 ${issue.minimum} 个字符`;
      if (issue.origin === 'array' || issue.origin === 'set') return Number(issue.minimum) <= 1 ? '至少要有一项' : `至少要有 ${issue.minimum} 项`;
      return issue.inclusive === false ? `必须大于 ${issue.minimum}` : `不能小于 ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `最多 ${issue.maximum} 个字符，请缩短`;
      if (issue.origin === 'array' || issue.origin === 'set') return `最多 ${issue.maximum} 项，请删掉多余的`;
      return issue.inclusive === false ? `必须小于 ${issue.maximum}` : `不能大于 ${issue.maximum}`;
    case 'invalid_format':
      if (issue.format === 'url') return '不是有效的网址，请写成 https://… 这样的完整地址';
      if (issue.format === 'email') return '不是有效的邮箱地址';
      return '格式不对，请对照文档检查';
    case 'invalid_value': {
      const given = valueAt(input, issue.path);
      return `只能是 ${oneOf(issue.values.map(String))}${given === undefined ? '' : `（收到的是 ${quote(given)}）`}`;
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return Array.isArray(options) && options.length ? `只能是 ${oneOf(options.map(String))}` : '格式不对，请对照文档检查';
    }
    case 'unrecognized_keys':
      return `里有不认识的字段 ${issue.keys.join('、')}，请删掉或检查拼写`;
    case 'not_multiple_of':
      return `必须是 ${String(issue.divisor)} 的倍数`;
    default:
      return '不符合要求，请对照文档检查';
  }
}

function oneOf(xs: string[]): string {
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join('、')} 或 ${xs[xs.length - 1]}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function quote(v: unknown): string {
  const s = typeof v === 'string' ? `"${v}"` : typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
