import { NewCampaignSchema } from '../../src/campaigns/types';
import { NewPostSchema } from '../../src/group-content/types';
import { issuesText, REFINEMENT_SENTENCES } from '../../src/issue-text';

/**
 * Validation problems as the console's operators read them: zh-CN, the field named as typed, and
 * how to write it. Each case goes through the real schema, so a schema sentence reworded without
 * its translation fails here rather than reaching the console in English.
 */

const post = (over: Record<string, unknown>) => ({
  name: '周一早安', target: { owners: ['zhangsan'] }, content: { text: '早上好' }, schedule: { at: '2026-03-02T10:00:00+08:00' }, creator: 'ops', ...over,
});
const series = (s: Record<string, unknown>) => post({ schedule: { series: { days: [1], time: '10:00', from: '2026-03-02', until: '2026-03-30', ...s } } });
const campaign = (over: Record<string, unknown>) => ({
  name: '春季回访', category: 'care', audience: { tiers: ['vip'] }, content: { text: '您好' }, creator: 'ops',
  schedule: { start: '2026-03-02T10:00:00+08:00', end: '2026-03-05T10:00:00+08:00', perSenderDailyRate: 100 }, ...over,
});
const file = { msgtype: 'file', file: { media_id: 'm' } };

const seen = new Set<string>();
function say(schema: typeof NewPostSchema | typeof NewCampaignSchema, input: unknown): string {
  const r = schema.safeParse(input);
  if (r.success) throw new Error('the input was accepted');
  for (const i of r.error.issues) seen.add(i.message);
  return issuesText(r.error.issues, { root: '内容', input });
}

describe('issuesText: validation problems in zh-CN', () => {
  it.each<[string, () => string, string]>([
    ['a time that is not ISO', () => say(NewPostSchema, post({ schedule: { at: '3月2日 10点' } })), 'schedule.at 不是有效时间，请写成带时区的 ISO 时间，例如 2026-03-02T10:00:00+08:00'],
    ['a date in another format', () => say(NewPostSchema, series({ from: '2026/03/02' })), 'schedule.series.from 不是有效日期，请写成 2026-03-31 这样的格式'],
    ['a day the calendar does not have', () => say(NewPostSchema, series({ until: '2026-02-30' })), 'schedule.series.until 不是日历上存在的日期，请写成 2026-03-31 这样的真实日期'],
    ['a time past 23:59', () => say(NewPostSchema, series({ time: '25:00' })), 'schedule.series.time 不是有效的 24 小时制时间，请写成 10:00 这样的格式'],
    ['more groups than WeCom takes', () => say(NewPostSchema, post({ target: { chatIds: Array.from({ length: 2001 }, (_, i) => `wr${i}`) } })), 'target.chatIds 最多 2000 个群（企业微信每个群发任务的上限），请拆成几条群内容'],
    ['no target', () => say(NewPostSchema, post({ target: {} })), 'target 没有指定发给哪些群，请在 owners、tags、namePattern、chatIds 中至少填一项'],
    ['weekday 8', () => say(NewPostSchema, series({ days: [8] })), 'schedule.series.days.0 要写 1（周一）到 7（周日）之间的数字'],
    ['until before from', () => say(NewPostSchema, series({ until: '2026-03-01' })), 'schedule.series.until 早于开始日期 from，请改成开始日期当天或之后'],
    ['a series over a year', () => say(NewPostSchema, series({ until: '2027-04-01' })), 'schedule.series.until 离开始日期超过 366 天（一个系列最长 366 天），请提前结束日期，或拆成几个系列'],
    ['a schedule of neither shape', () => say(NewPostSchema, post({ schedule: { when: 'soon' } })), 'schedule 格式不对，请写成 { "at": ISO 时间 }（发一次）或 { "series": { days, time, from, until } }（重复发）'],
    ['an image without a picture', () => say(NewCampaignSchema, campaign({ content: { attachments: [{ msgtype: 'image', image: {} }] } })), 'content.attachments.0.image 缺少图片：media_id、pic_url、material_id 至少要填一项'],
    ['a file without a file', () => say(NewCampaignSchema, campaign({ content: { attachments: [{ msgtype: 'file', file: {} }] } })), 'content.attachments.0.file 缺少文件：media_id、material_id 至少要填一项'],
    ['text over 4000 bytes', () => say(NewCampaignSchema, campaign({ content: { text: '好'.repeat(1400) } })), 'content.text 超过 4000 字节（企业微信的上限，约 1300 个汉字），请缩短'],
    ['ten attachments', () => say(NewCampaignSchema, campaign({ content: { attachments: Array(10).fill(file) } })), 'content.attachments 最多 9 个附件（企业微信的上限），请删掉多余的'],
    ['no content', () => say(NewCampaignSchema, campaign({ content: {} })), 'content 没有内容：text 和 attachments 至少要填一项'],
    ['end before start', () => say(NewCampaignSchema, campaign({ schedule: { start: '2026-03-05T10:00:00+08:00', end: '2026-03-02T10:00:00+08:00', perSenderDailyRate: 1 } })), 'schedule.end 必须晚于开始时间 start，请调整时间'],
    // Zod's own checks, worded from the issue's code and limits.
    ['a value not in the list, quoted', () => say(NewCampaignSchema, campaign({ category: 'spam' })), 'category 只能是 marketing 或 care（收到的是 "spam"）'],
    ['an unknown msgtype', () => say(NewCampaignSchema, campaign({ content: { attachments: [{ msgtype: 'video' }] } })), 'content.attachments.0.msgtype 只能是 image、link、miniprogram 或 file'],
    ['a missing field', () => say(NewCampaignSchema, campaign({ creator: undefined })), 'creator 没有填写，这一项必填'],
    ['a wrong type, quoted', () => say(NewCampaignSchema, campaign({ schedule: { start: '2026-03-02T10:00:00+08:00', end: '2026-03-05T10:00:00+08:00', perSenderDailyRate: '100' } })), 'schedule.perSenderDailyRate 要写成数字（收到的是 "100"）'],
    ['a fraction where a whole number goes', () => say(NewPostSchema, post({ moveWithinHours: 1.5 })), 'moveWithinHours 要写成整数（收到的是 1.5）'],
    ['a number over its maximum', () => say(NewPostSchema, post({ moveWithinHours: 200 })), 'moveWithinHours 不能大于 168'],
    ['an empty name', () => say(NewPostSchema, post({ name: '' })), 'name 不能为空'],
    ['an empty list', () => say(NewCampaignSchema, campaign({ audience: { tiers: [] } })), 'audience.tiers 至少要有一项'],
    ['a bad link url', () => say(NewCampaignSchema, campaign({ content: { attachments: [{ msgtype: 'link', link: { title: '新品', url: 'example' } }] } })), 'content.attachments.0.link.url 不是有效的网址，请写成 https://… 这样的完整地址'],
    ['an unknown key at the root', () => say(NewCampaignSchema, campaign({ owner: 'x' })), '内容里有不认识的字段 owner，请删掉或检查拼写'],
  ])('%s', (_, run, expected) => {
    // The first sentence is the case's own (a bad date can fail a later rule of the schema too).
    expect(run().split('；')[0]).toBe(expected);
  });

  it('should list every problem at once, joined in one sentence', () => {
    expect(say(NewCampaignSchema, campaign({ category: 'x', content: {} }))).toBe('category 只能是 marketing 或 care（收到的是 "x"）；content 没有内容：text 和 attachments 至少要填一项');
  });

  it('should have met every schema sentence it translates (none is stale)', () => {
    expect(REFINEMENT_SENTENCES.filter((m) => !seen.has(m))).toEqual([]);
  });
});
