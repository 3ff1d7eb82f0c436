import { lifecycleStage, type LifecycleFacts } from '../../src/lifecycle';
import { nextBestAction, pressureVerdicts, type NextActionFacts } from '../../src/next-action';
import { agoZh, dayCountAgoZh, formatWhenZh, spanZh } from '../../src/policy/zh';
import { ZoneCalendar } from '../../src/policy/zone-calendar';
import type { Touch } from '../../src/pressure';
import { defaultPolicy, defaults, sh } from './support/fixtures';

/**
 * A native reader's rules for every sentence the sidebar renders, as tables: numbers with a
 * measure word and a space ("3 天前", "2 条消息"), 今天/昨天 instead of "0 天前"/"1 天前", days
 * instead of hundreds of hours, months and years instead of hundreds of days.
 */

const cal = new ZoneCalendar('Asia/Shanghai');
const NOW = sh('2025-06-04 10:30');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('agoZh: a past instant as a person says it', () => {
  it.each<[string, number, string]>([
    ['just now', NOW.getTime() - 20_000, '刚刚'],
    ['minutes', NOW.getTime() - 12 * MIN, '12 分钟前'],
    ['one hour', NOW.getTime() - 61 * MIN, '1 小时前'],
    ['hours, same day', NOW.getTime() - 9 * HOUR, '9 小时前'],
    ['23 hours, yesterday evening', NOW.getTime() - 23 * HOUR, '23 小时前'],
    ['yesterday by the calendar', sh('2025-06-03 08:00').getTime(), '昨天'],
    ['two calendar days though only 35 hours', sh('2025-06-02 23:30').getTime(), '2 天前'],
    ['19 days, never 456 hours', NOW.getTime() - 456 * HOUR, '19 天前'],
    ['a future instant reads as now', NOW.getTime() + 5 * MIN, '刚刚'],
  ])('%s → %s', (_, at, expected) => {
    expect(agoZh(at, NOW.getTime(), cal)).toBe(expected);
  });
});

describe('dayCountAgoZh and spanZh: counts of days', () => {
  it.each<[number, string]>([[0, '今天'], [1, '昨天'], [2, '2 天前'], [30, '30 天前']])('%d days ago → %s', (d, expected) => {
    expect(dayCountAgoZh(d)).toBe(expected);
  });

  it.each<[number, string]>([
    [0, '不到 1 天'], [1, '1 天'], [45, '45 天'], [59, '59 天'], [60, '2 个月'], [200, '6 个月'],
    [365, '1 年'], [400, '1 年 1 个月'], [723, '1 年 11 个月'], [800, '2 年 2 个月'],
  ])('a span of %d days → %s', (d, expected) => {
    expect(spanZh(d)).toBe(expected);
  });
});

describe('formatWhenZh: exact times for today and tomorrow', () => {
  it.each<[string, string]>([
    ['2025-06-04 21:00', '今天 21:00'],
    ['2025-06-05 09:00', '明天 09:00'],
    ['2025-06-07 10:00', '周六 10:00'],
    ['2025-06-20 10:00', '6月20日 10:00'],
    ['2026-01-05 09:00', '2026年1月5日 09:00'],
  ])('%s → %s', (at, expected) => {
    expect(formatWhenZh(sh(at).getTime(), NOW.getTime(), cal)).toBe(expected);
  });
});

describe('lifecycle signals read naturally', () => {
  const now = NOW;
  const base: LifecycleFacts = { tier: 'core', relation: 'active', addedAt: new Date(now.getTime() - 400 * DAY), orders: [], lastInboundAt: null, unansweredTouches: 0, openComplaint: false };
  const label = (over: Partial<LifecycleFacts>) => lifecycleStage({ ...base, ...over }, now, defaults.tiers).signals.map((s) => s.label);

  it.each<[string, Partial<LifecycleFacts>, string]>([
    ['added today', { addedAt: new Date(now.getTime() - 2 * HOUR), tier: 'potential' }, '今天刚加的新客户'],
    ['added yesterday', { addedAt: new Date(now.getTime() - 30 * HOUR), tier: 'potential' }, '昨天刚加的新客户'],
    ['added 5 days ago', { addedAt: new Date(now.getTime() - 5 * DAY), tier: 'potential' }, '加好友 5 天的新客户'],
    ['wrote today', { lastInboundAt: new Date(now.getTime() - 2 * HOUR), orders: [{ at: new Date(now.getTime() - 10 * DAY), amount: 500 }] }, '今天有消费或来消息'],
    ['wrote yesterday', { lastInboundAt: new Date(now.getTime() - 30 * HOUR), orders: [{ at: new Date(now.getTime() - 10 * DAY), amount: 500 }] }, '昨天有消费或来消息'],
    ['never wrote in 723 days', { addedAt: new Date(now.getTime() - 723 * DAY), tier: 'potential' }, '加好友 1 年 11 个月，一直没有来过消息（潜在客户通常 90 天内有往来）'],
  ])('%s → %s', (_, over, expected) => {
    expect(label(over)).toContain(expected);
  });
});

/** Patterns a native reader flags as machine-made. */
const MACHINE_MADE: [RegExp, string][] = [
  [/(^|[^\d])0 天/, '"0 天": say 今天'],
  [/(^|[^\d])1 天前/, '"1 天前": say 昨天'],
  [/\d{2,} 小时前/, 'hours past a day: say days'],
  [/\d{3,} 天/, 'hundreds of days: say months or years'],
  [/\{\w+\}/, 'an unfilled placeholder'],
  [/^[，,、]/, 'a sentence that starts with a comma'],
  [/undefined|null|NaN/, 'a programming value'],
  [/好久没联系/, '"好久没联系" right after the rep wrote: the rep\'s own messages are contact'],
];

describe('every sentence next-best-action renders, across customers', () => {
  const policy = defaultPolicy();
  const care = (d: number): Touch => ({ at: new Date(NOW.getTime() - d * DAY), category: 'care' });
  const scenes: { name: string; tier: string; addedDays: number; orders: number[]; inboundDays: number | null; touches: Touch[]; waiting?: [number, number] }[] = [
    { name: 'new today, no orders', tier: 'potential', addedDays: 0, orders: [], inboundDays: null, touches: [] },
    { name: 'core, bought 4 days ago', tier: 'core', addedDays: 420, orders: [4, 90], inboundDays: 2, touches: [care(20)] },
    { name: 'core, silent 100 days, three unanswered touches', tier: 'core', addedDays: 723, orders: [120], inboundDays: 100, touches: [care(30), care(20), care(3)] },
    { name: 'key, wrote 19 days ago and today', tier: 'key', addedDays: 300, orders: [40], inboundDays: 0, touches: [], waiting: [19, 2] },
    { name: 'regular, never wrote in 723 days', tier: 'regular', addedDays: 723, orders: [], inboundDays: null, touches: [] },
    { name: 'potential, yesterday', tier: 'potential', addedDays: 1, orders: [1], inboundDays: 1, touches: [] },
  ];

  it.each(scenes.map((s) => [s.name, s] as const))('%s', (_, s) => {
    const lastInboundAt = s.inboundDays === null ? null : new Date(NOW.getTime() - s.inboundDays * DAY - HOUR);
    const orders = s.orders.map((d) => ({ at: new Date(NOW.getTime() - d * DAY), amount: 800, product: '山茶花面霜（2瓶）' }));
    const unanswered = s.touches.filter((t) => !lastInboundAt || t.at > lastInboundAt).length;
    const lifecycle = lifecycleStage({
      tier: s.tier, relation: 'active', addedAt: new Date(NOW.getTime() - s.addedDays * DAY), orders, lastInboundAt, unansweredTouches: unanswered, openComplaint: false,
    }, NOW, defaults.tiers);
    const state = { id: 'c', tier: s.tier, touches: s.touches, lastInboundAt, complaint: { openSince: null, lastClosedAt: null }, relation: 'active' as const };
    const latest = (ts: Touch[]) => (ts.length ? new Date(Math.max(...ts.map((t) => t.at.getTime()))) : null);
    const facts: NextActionFacts = {
      customer: { id: 'c', name: '陈姐' }, tier: { id: s.tier, label: '核心' }, lifecycle, pressure: pressureVerdicts(state, NOW, policy),
      waiting: s.waiting ? { count: s.waiting[1], since: new Date(NOW.getTime() - s.waiting[0] * DAY) } : null,
      complaint: null, reminders: [], orders, firstPurchaseAt: orders.length ? orders[orders.length - 1].at : null, birthday: null,
      lastInboundAt, lastProactiveAt: latest(s.touches), lastCareAt: latest(s.touches), unansweredTouches: unanswered, offer: null,
    };
    const result = nextBestAction(facts, NOW, defaults.nextAction);
    const sentences = [
      ...lifecycle.signals.map((x) => x.label),
      ...result.candidates.flatMap((c) => [c.title, ...c.reasons, c.message ?? '', c.laterMessage ?? '', ...c.blockedBy]),
    ].filter(Boolean);
    expect(sentences.length).toBeGreaterThan(0);
    for (const sentence of sentences) {
      for (const [pattern, why] of MACHINE_MADE) {
        if (pattern.test(sentence)) throw new Error(`"${sentence}" reads machine-made: ${why}`);
      }
      // SKU lines and pack counts never reach a sentence.
      expect(sentence).not.toContain('（2瓶）');
    }
  });
});
