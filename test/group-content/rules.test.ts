import { occurrencesBetween, scheduleBounds } from '../../src/group-content/calendar';
import { parsePostsCsv } from '../../src/group-content/csv';
import { explainDecision, planOccurrences, type PlanOccurrence } from '../../src/group-content/plan';
import { globToRegExp } from '../../src/group-content/service';
import type { GroupDecision } from '../../src/group-content/types';
import { AppError } from '../../src/errors';
import { createPressurePolicy, PressureConfigSchema, type MassQuota, type PressureState } from '../../src/pressure';
import { defaults } from '../unit/support/fixtures';

/**
 * The pure rules of group content: the calendar of a series (Asia/Shanghai has no DST, so every
 * weekly occurrence is exactly 7 × 24 h after the last, across a month end), the plan (caps and
 * quiet hours move or skip a post with its reason, each admitted post counted before the next),
 * WeCom's group quota on Beijing time across week and month boundaries under each setting, and
 * the CSV reader (whole file validated, every row's problem listed).
 */
const ZONE = 'Asia/Shanghai';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ms = (iso: string) => Date.parse(iso);
const group = (chatId: string, owner = 'zhangsan') => ({ chatId, name: chatId, ownerUserId: owner, status: 'active' });

/** The shipped group rule (day 1 · week 4 · month 12, 20 h gap, quiet 21:00–09:00). */
const shipped = createPressurePolicy(defaults.pressure, ZONE);

/** Group caps off, no gap, no quiet hours: only WeCom's quota acts. */
function quotaOnly(massQuota: MassQuota) {
  return createPressurePolicy(PressureConfigSchema.parse({
    ...defaults.pressure, platform: { timeZone: 'Asia/Shanghai', massQuota }, group: { caps: {}, minGapHours: 0, quietHours: null },
  }), ZONE);
}

const stateWith = (chatId: string, times: number[]): PressureState => ({
  id: chatId, tier: '', timeZone: null, lastInboundAt: null, complaint: { openSince: null, lastClosedAt: null }, relation: 'active',
  touches: times.map((t) => ({ at: new Date(t), category: 'group_content' as const })),
});

const occ = (postId: number, at: string, chats: string[], moveWithinHours = 24): PlanOccurrence => ({
  postId, at: ms(at), moveWithinMs: moveWithinHours * HOUR, groups: chats.map((c) => group(c)), missing: [],
});

describe('group content: series calendar', () => {
  it('should expand every Monday 10:00 Beijing across a month end, exactly a week apart', () => {
    const schedule = { series: { days: [1], time: '10:00', from: '2026-03-20', until: '2026-04-13' } };
    const all = occurrencesBetween(schedule, ZONE, -Infinity, Infinity);
    expect(all.map((t) => new Date(t).toISOString())).toEqual([
      '2026-03-23T02:00:00.000Z', '2026-03-30T02:00:00.000Z', '2026-04-06T02:00:00.000Z', '2026-04-13T02:00:00.000Z',
    ]);
    for (let i = 1; i < all.length; i++) expect(all[i] - all[i - 1]).toBe(7 * DAY);
    expect(scheduleBounds(schedule, ZONE)).toEqual({ first: all[0], last: all[3] });
    // A window [from, to) sees only its own occurrences: Beijing's 2026-04-06 10:00 is 02:00Z.
    expect(occurrencesBetween(schedule, ZONE, ms('2026-04-06T02:00:00Z'), ms('2026-04-06T02:00:01Z'))).toEqual([all[2]]);
    expect(occurrencesBetween(schedule, ZONE, ms('2026-04-06T02:00:01Z'), ms('2026-04-13T02:00:00Z'))).toEqual([]);
  });

  it('should expand a daily series over the end of February into March, and an early-morning time on the right local day', () => {
    const daily = occurrencesBetween({ series: { days: 'daily', time: '07:30', from: '2026-02-27', until: '2026-03-02' } }, ZONE, -Infinity, Infinity);
    // 07:30 Beijing is 23:30Z the day before: the local calendar day decides, not the UTC one.
    expect(daily.map((t) => new Date(t).toISOString())).toEqual([
      '2026-02-26T23:30:00.000Z', '2026-02-27T23:30:00.000Z', '2026-02-28T23:30:00.000Z', '2026-03-01T23:30:00.000Z',
    ]);
    const twice = occurrencesBetween({ series: { days: [2, 4], time: '20:00', from: '2026-03-30', until: '2026-04-05' } }, ZONE, -Infinity, Infinity);
    expect(twice.map((t) => new Date(t).toISOString())).toEqual(['2026-03-31T12:00:00.000Z', '2026-04-02T12:00:00.000Z']);
    expect(scheduleBounds({ series: { days: [7], time: '10:00', from: '2026-03-02', until: '2026-03-06' } }, ZONE)).toBeNull();
  });
});

describe('group content: plan under the group caps and quiet hours', () => {
  it('should move a second post the same day to the next allowed morning, and skip one it may not move far enough', () => {
    const planned = planOccurrences({
      policy: shipped, now: ms('2026-03-02T00:00:00Z'), states: new Map(),
      occurrences: [
        occ(1, '2026-03-02T02:00:00Z', ['wrA', 'wrB']), // Mon 10:00 Beijing
        occ(2, '2026-03-02T07:00:00Z', ['wrA']), // Mon 15:00: daily cap and 20 h gap → Tue 09:00 (after quiet hours)
        occ(3, '2026-03-02T14:00:00Z', ['wrB'], 0), // Mon 22:00: quiet hours, may not move → skipped
      ],
    });
    const [first, second, third] = planned;
    expect(first.decisions.map((d) => d.kind)).toEqual(['send', 'send']);
    const moved = second.decisions[0] as Extract<GroupDecision, { kind: 'moved' }>;
    expect(moved).toMatchObject({ kind: 'moved', chatId: 'wrA', at: ms('2026-03-03T01:00:00Z') });
    expect(moved.reasons).toEqual(['DAILY_CAP', 'MIN_GAP']);
    expect(explainDecision(moved, second.occurrenceAt, ZONE)).toBe(
      '从 2026-03-02 15:00 顺延到 2026-03-03 09:00 发送：这个群今天的发送次数已用完（DAILY_CAP）；距这个群上一条群内容的间隔还不够（MIN_GAP）');
    const skipped = third.decisions[0] as Extract<GroupDecision, { kind: 'skipped' }>;
    expect(skipped).toMatchObject({ kind: 'skipped', chatId: 'wrB', reason: 'DAILY_CAP' });
    expect(skipped.reasons).toContain('QUIET_HOURS');
    const skippedText = explainDecision(skipped, third.occurrenceAt, ZONE);
    expect(skippedText).toMatch(/^2026-03-02 22:00 这一条不发送：这个群今天的发送次数已用完（DAILY_CAP）；.*正在群的免打扰时段内（QUIET_HOURS）/);
    expect(skippedText).toMatch(/；最早 2026-03-03 \d\d:\d\d 才能发，超出了这条内容允许顺延的时长$/);
    expect(explainDecision(first.decisions[0], first.occurrenceAt, ZONE)).toBe('2026-03-02 10:00 按时发送');
  });

  it('should count each admitted post before the next: the weekly cap of 4 moves the fifth daily post to next Monday only if allowed', () => {
    const days = ['02', '03', '04', '05', '06'].map((d, i) => occ(i + 1, `2026-03-${d}T02:00:00Z`, ['wrA'], 24 * 4));
    const planned = planOccurrences({ policy: shipped, now: ms('2026-03-01T00:00:00Z'), states: new Map(), occurrences: days });
    expect(planned.slice(0, 4).map((p) => p.decisions[0].kind)).toEqual(['send', 'send', 'send', 'send']);
    // Friday's post: the week (Mon–Sun, Beijing) is full; next allowed is Monday 09:00, 71 h later, within 96 h.
    expect(planned[4].decisions[0]).toMatchObject({ kind: 'moved', reason: 'WEEKLY_CAP', at: ms('2026-03-09T01:00:00Z') });
    const strict = planOccurrences({ policy: shipped, now: ms('2026-03-01T00:00:00Z'), states: new Map(), occurrences: days.map((d) => ({ ...d, moveWithinMs: 24 * HOUR })) });
    expect(strict[4].decisions[0]).toMatchObject({ kind: 'skipped', reason: 'WEEKLY_CAP', nextAllowedAt: ms('2026-03-09T01:00:00Z') });
  });

  it('should skip an explicitly named unknown group, a group without owner, and an occurrence later than its move limit', () => {
    const planned = planOccurrences({
      policy: shipped, now: ms('2026-03-03T03:00:00Z'), states: new Map(),
      occurrences: [{ postId: 1, at: ms('2026-03-02T02:00:00Z'), moveWithinMs: 2 * HOUR, groups: [group('wrA'), { ...group('wrB'), ownerUserId: null }], missing: ['wrGone'] }],
    });
    expect(planned[0].decisions.map((d) => [d.chatId, d.kind, d.kind === 'send' ? null : d.reason])).toEqual([
      ['wrGone', 'skipped', 'GROUP_NOT_FOUND'], ['wrA', 'skipped', 'TOO_LATE'], ['wrB', 'skipped', 'NO_OWNER'],
    ]);
  });
});

describe('group content: WeCom\'s group quota on Beijing time', () => {
  const judge = (quota: MassQuota, prior: number[], at: string, moveWithinHours = 48) =>
    planOccurrences({ policy: quotaOnly(quota), now: 0, states: new Map([['wrA', stateWith('wrA', prior)]]), occurrences: [occ(9, at, ['wrA'], moveWithinHours)] })[0].decisions[0];

  it('seven_per_week: a full Beijing week blocks Sunday night, and Monday 07:00 Beijing (still Sunday in UTC) is a new week', () => {
    const week = Array.from({ length: 7 }, (_, i) => ms('2026-03-02T02:00:00Z') + i * DAY); // Mon 03-02 … Sun 03-08, 10:00 Beijing
    expect(judge('seven_per_week', week, '2026-03-08T14:00:00Z')).toMatchObject({ kind: 'moved', reason: 'PLATFORM_QUOTA', at: ms('2026-03-08T16:00:00Z') });
    expect(judge('seven_per_week', week, '2026-03-08T23:00:00Z')).toMatchObject({ kind: 'send' });
    expect(judge('seven_per_week', week.slice(1), '2026-03-08T14:00:00Z')).toMatchObject({ kind: 'send' });
  });

  it('days_in_month: 31 posts fill March; 23:00 on 03-31 Beijing waits for April, 06:00 on 04-01 Beijing (03-31 in UTC) goes', () => {
    const march = Array.from({ length: 31 }, (_, i) => ms('2026-03-01T02:00:00Z') + i * DAY);
    expect(judge('days_in_month', march, '2026-03-31T15:00:00Z')).toMatchObject({ kind: 'moved', reason: 'PLATFORM_QUOTA', at: ms('2026-03-31T16:00:00Z') });
    expect(judge('days_in_month', march, '2026-03-31T22:00:00Z')).toMatchObject({ kind: 'send' });
    // February 2026 has 28 days: 28 posts fill it.
    const feb = Array.from({ length: 28 }, (_, i) => ms('2026-02-01T02:00:00Z') + i * DAY);
    expect(judge('days_in_month', feb, '2026-02-28T10:00:00Z', 0)).toMatchObject({ kind: 'skipped', reason: 'PLATFORM_QUOTA', nextAllowedAt: ms('2026-02-28T16:00:00Z') });
    expect(judge('days_in_month', feb.slice(1), '2026-02-28T10:00:00Z', 0)).toMatchObject({ kind: 'send' });
  });

  it('one_per_day: the Beijing day decides (a post at 07:00 Beijing the next morning is a new day)', () => {
    const monday = [ms('2026-03-02T02:00:00Z')];
    expect(judge('one_per_day', monday, '2026-03-02T12:00:00Z')).toMatchObject({ kind: 'moved', reason: 'PLATFORM_QUOTA', at: ms('2026-03-02T16:00:00Z') });
    expect(judge('one_per_day', monday, '2026-03-02T23:00:00Z')).toMatchObject({ kind: 'send' });
    expect(judge('days_in_month', monday, '2026-03-02T12:00:00Z')).toMatchObject({ kind: 'send' });
  });
});

describe('group content: CSV', () => {
  const now = ms('2026-03-01T00:00:00Z');
  const header = 'name,at,repeat,until,owners,tags,name_pattern,chat_ids,text,attachments,move_within_hours,creator';
  /** The file's problems, as the 400 lists them (the whole file is refused). */
  const problems = (csv: string) => {
    try {
      parsePostsCsv(csv, { timeZone: ZONE, now });
    } catch (e) {
      expect(e).toMatchObject({ code: 'GROUP_POSTS_CSV_INVALID', status: 400 });
      return ((e as AppError).options.details as { errors: { line: number; message: string }[] }).errors;
    }
    throw new Error('the file was accepted');
  };

  it('should read a month of posts: a weekly series, a one-time post with an attachment, lists joined by |', () => {
    const posts = parsePostsCsv([
      header,
      '周一早安,2026-03-02 10:00,MON,2026-03-30,zhangsan|lisi,,,,早上好！,,24,ops',
      `新品,2026-03-12 19:30,,,,VIP,,,"新品到了, 欢迎","[{""msgtype"":""link"",""link"":{""title"":""新品"",""url"":""https://example.com""}}]",,ops`,
      '会员群,2026-03-05 10:00,MON|THU,2026-03-31,,,VIP*群,,本周福利,,0,ops',
    ].join('\n'), { timeZone: ZONE, now });
    expect(posts).toHaveLength(3);
    expect(posts[0]).toMatchObject({ target: { owners: ['zhangsan', 'lisi'] }, schedule: { series: { days: [1], time: '10:00', from: '2026-03-02', until: '2026-03-30' } }, moveWithinHours: 24 });
    expect(posts[1]).toMatchObject({ target: { tags: ['VIP'] }, content: { text: '新品到了, 欢迎', attachments: [{ msgtype: 'link' }] } });
    expect(Date.parse((posts[1].schedule as { at: string }).at)).toBe(ms('2026-03-12T11:30:00Z'));
    expect(posts[2]).toMatchObject({ target: { namePattern: 'VIP*群' }, schedule: { series: { days: [1, 4] } }, moveWithinHours: 0 });
    expect(globToRegExp('VIP*群').test('vip 一号群')).toBe(true);
    expect(globToRegExp('VIP*群').test('VIP群聊')).toBe(false);
  });

  it('should reject the whole file with every bad row named by its line', () => {
    const text = [
      header,
      'ok,2026-03-02 10:00,,,zhangsan,,,,hi,,,ops',
      'no target,2026-03-02 10:00,,,,,,,hi,,,ops',
      'bad time,03/02 10am,,,zhangsan,,,,hi,,,ops',
      'past,2026-02-27 10:00,,,zhangsan,,,,hi,,,ops',
      'bad repeat,2026-03-02 10:00,FUNDAY,,zhangsan,,,,hi,,,ops',
      `too many,2026-03-02 10:00,,,zhangsan,,,,,"[${Array(10).fill('{""msgtype"":""file"",""file"":{""media_id"":""m""}}').join(',')}]",,ops`,
    ].join('\n');
    let err: AppError | undefined;
    try {
      parsePostsCsv(text, { timeZone: ZONE, now });
    } catch (e) {
      err = e as AppError;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err!.status).toBe(400);
    const errors = (err!.options.details as { errors: { line: number; message: string }[] }).errors;
    expect([...new Set(errors.map((e) => e.line))]).toEqual([3, 4, 5, 6, 7]);
    const at = (line: number) => errors.filter((e) => e.line === line).map((e) => e.message).join(' | ');
    // zh-CN for the operator, the columns as the header spells them.
    expect(at(3)).toBe('没有指定发给哪些群，请在 owners、tags、name_pattern、chat_ids 中至少填一项');
    expect(at(4)).toBe('at 不是有效时间（填的是 "03/02 10am"），请写成 2026-03-02 10:00（Asia/Shanghai 时间），或带时区的 ISO 时间');
    expect(at(5)).toBe('at 的时间已经过去（最后一次是 2026-02-27 10:00），请改成以后的时间');
    // A bad weekday is said once, not again as an empty list of days.
    expect(at(6)).toBe('repeat 不是有效的重复方式（填的是 "FUNDAY"），请写 daily（每天），或用 | 连接的星期，例如 MON|THU | 填写了 repeat 就必须填写 until（系列的最后一天），例如 2026-03-31');
    expect(at(7)).toBe('attachments 最多 9 个附件（企业微信的上限），请删掉多余的');
    expect(err!.code).toBe('GROUP_POSTS_CSV_INVALID');
    expect(err!.message).toMatch(/^没有导入任何内容：共 6 处问题，请改正后重新导入整份文件。第 3 行：没有指定发给哪些群/);
  });

  it('should say each field problem in Chinese with the column as typed and how to write it', () => {
    const text = [
      header,
      ',,,,zhangsan,,,,,,abc,',
      'x,2026-03-02 10:00,MON,2026-02-30,zhangsan,,,,hi,[{"msgtype":"link"}],1.5,ops',
      'x,2026-03-02 10:00,,2026-03-03,zhangsan,,,,hi,"[{""msgtype"":""link"",""link"":{""title"":"""",""url"":""nope""}}]",,ops',
      'x,2026-03-02 10:00,MON,2026-02-28,zhangsan,,,,hi,,,ops,extra',
      'x,2026-03-02 10:00,MON,2027-05-28,,,VIP*,,hi,,,ops',
    ].join('\n');
    const errors = problems(text);
    const at = (line: number) => errors.filter((e) => e.line === line).map((e) => e.message);
    expect(at(2)).toEqual(expect.arrayContaining([
      'at 没有填写，请写成 2026-03-02 10:00（Asia/Shanghai 时间），或带时区的 ISO 时间',
      'move_within_hours 要写成 0 到 168 之间的整数（小时），填的是 "abc"',
      'name 没有填写，这一项必填', 'creator 没有填写，这一项必填', '没有内容：text 和 attachments 至少要填一项',
    ]));
    expect(at(3)).toEqual(expect.arrayContaining([
      'move_within_hours 要写成 0 到 168 之间的整数（小时），填的是 "1.5"',
      'attachments[0].link 没有填写，这一项必填',
      'until 不是日历上存在的日期，请写成 2026-03-31 这样的真实日期',
    ]));
    expect(at(4)).toEqual([
      'until 只用于重复发送：只发一次请把 until 留空，要重复发请填写 repeat',
      'attachments[0].link.title 不能为空',
      'attachments[0].link.url 不是有效的网址，请写成 https://… 这样的完整地址',
    ]);
    expect(at(5)).toEqual([
      '这一行有 13 个字段，但列名只有 12 个：内容里有英文逗号的字段，请整个用英文双引号括起来',
      'until 早于开始日期 at，请改成开始日期当天或之后',
    ]);
    expect(at(6)).toEqual(['until 离开始日期超过 366 天（一个系列最长 366 天），请提前结束日期，或拆成几个系列']);
    // No English sentence reaches the operator.
    for (const e of errors) expect(e.message).not.toMatch(/\b(must|needs|expected|invalid|too)\b/i);
  });

  it('should refuse unknown columns and an empty file in one sentence', () => {
    expect(problems('name,when,text,creator\nx,1,y,z')).toEqual([
      { line: 1, message: `不认识的列 when：可用的列是 ${header.split(',').join(', ')}，请检查拼写` },
      { line: 1, message: '缺少必填的列 at，请在第一行加上' },
    ]);
    expect(problems('')).toEqual([{ line: 1, message: `文件是空的：第一行请写列名（${header}），从第二行起每行一条群内容` }]);
    expect(problems(header)).toEqual([{ line: 1, message: '文件只有列名这一行，没有群内容：请从第二行起每行写一条' }]);
    expect(problems([header, ...Array(5001).fill('x,2026-03-02 10:00,,,zhangsan,,,,hi,,,ops')].join('\n')))
      .toEqual([{ line: 1, message: '文件里有 5001 条群内容，一次最多导入 5000 条：请拆成几个文件分批导入' }]);
  });

  it('should name the line of a CSV syntax error and say how to quote', () => {
    expect(problems(`${header}\nok,2026-03-02 10:00,,,zhangsan,,,,"hi`)).toEqual([{ line: 2, message: '从这一行开始的引号没有配对的右引号：请在字段末尾补上英文双引号 "' }]);
    expect(problems(`${header}\nok,2026-03-02 10:00,,,zhangsan,,,,"hi"x,,,ops`)).toEqual([{ line: 2, message: '右引号后面还有别的字符：请把整个字段用英文双引号括起来，字段里的引号写成两个 ""' }]);
  });
});
