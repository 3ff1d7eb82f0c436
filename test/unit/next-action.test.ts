import { lifecycleStage } from '../../src/lifecycle';
import { NextActionFacts, nextBestAction, pressureVerdicts } from '../../src/next-action';
import { productName, salutation } from '../../src/next-action/wording';
import { RelationStatus } from '../../src/policy/types';
import { evaluate, Touch } from '../../src/pressure';
import { OrderFact } from '../../src/tiers';
import { defaultPolicy, defaults, sh } from './support/fixtures';

const config = defaults.nextAction;
const policy = defaultPolicy();
const NOW = sh('2025-06-04 10:00'); // a Wednesday
const DAY = 86_400_000;
const daysAgo = (d: number, from = NOW) => new Date(from.getTime() - d * DAY);
const LABELS: Record<string, string> = { core: '核心', key: '重要', regular: '普通', potential: '潜在' };

interface Scene {
  tier?: string;
  now?: Date;
  orders?: OrderFact[];
  touches?: Touch[];
  lastInboundAt?: Date | null;
  relation?: RelationStatus;
  complaint?: NextActionFacts['complaint'];
  waiting?: NextActionFacts['waiting'];
  offer?: NextActionFacts['offer'];
  birthday?: NextActionFacts['birthday'];
  reminders?: NextActionFacts['reminders'];
  postSaleFromReminders?: boolean;
  /** The viewing rep's own relation (NextActionFacts.relation). */
  viewerRelation?: RelationStatus;
}

/** Builds the facts the data layer would, running the real lifecycle and pressure modules. */
function build(s: Scene): { facts: NextActionFacts; now: Date } {
  const now = s.now ?? NOW;
  const tier = s.tier ?? 'core';
  const touches = s.touches ?? [];
  const lastInboundAt = s.lastInboundAt ?? null;
  const unanswered = touches.filter((t) => !lastInboundAt || t.at > lastInboundAt).length;
  const latest = (ts: Touch[]) => (ts.length ? new Date(Math.max(...ts.map((t) => t.at.getTime()))) : null);
  const orders = s.orders ?? [];
  const lifecycle = lifecycleStage(
    { tier, relation: s.relation ?? 'active', addedAt: daysAgo(400, now), orders, lastInboundAt, unansweredTouches: unanswered, openComplaint: !!s.complaint },
    now,
    defaults.tiers,
  );
  const state = {
    id: 'wm-li',
    tier,
    touches,
    lastInboundAt,
    complaint: { openSince: s.complaint ? s.complaint.openedAt : null, lastClosedAt: null },
    relation: s.viewerRelation ?? s.relation ?? 'active',
  };
  const pressure = pressureVerdicts(state, now, policy);
  const firstOrder = orders.length ? new Date(Math.min(...orders.map((o) => o.at.getTime()))) : null;
  return {
    now,
    facts: {
      customer: { id: 'wm-li', name: '李姐' },
      tier: { id: tier, label: LABELS[tier] },
      lifecycle,
      pressure,
      waiting: s.waiting ?? null,
      complaint: s.complaint ?? null,
      reminders: s.reminders ?? [],
      postSaleFromReminders: s.postSaleFromReminders,
      relation: s.viewerRelation,
      careAllowedFrom: (from: Date) => {
        const v = evaluate(state, 'care', from, policy);
        return v.allowed ? from : v.nextAllowedAt;
      },
      orders,
      firstPurchaseAt: firstOrder,
      birthday: s.birthday ?? null,
      lastInboundAt,
      lastProactiveAt: latest(touches),
      lastCareAt: latest(touches.filter((t) => t.category === 'care')),
      unansweredTouches: unanswered,
      offer: s.offer ?? null,
    },
  };
}

function run(s: Scene) {
  const { facts, now } = build(s);
  return { sut: nextBestAction(facts, now, config), facts };
}

const care = (at: Date): Touch => ({ at, category: 'care' });
const offer = { title: '618 会员专享折扣' };

describe('nextBestAction doctrine scenarios', () => {
  it('should follow up a VIP who complained yesterday and push no promotion', () => {
    const { sut, facts } = run({
      tier: 'core',
      lastInboundAt: sh('2025-06-03 15:00'),
      complaint: { status: 'confirmed', openedAt: sh('2025-06-03 15:00'), summary: '发货太慢' },
      orders: [{ at: daysAgo(20), amount: 12000, product: '羊绒大衣' }],
      offer,
    });
    expect(facts.pressure.marketing).toMatchObject({ allowed: false, reasons: ['COMPLAINT_OPEN'] });
    expect(sut.recommendation).toMatchObject({ kind: 'complaint_follow_up', title: '跟进投诉', allowed: true });
    expect(sut.recommendation.reasons).toEqual(['投诉处理中（昨天提出）', '内容：发货太慢', '投诉期间不发营销']);
    expect(sut.candidates.some((c) => c.kind === 'marketing')).toBe(false);
  });

  it('should give space, with a date, to a customer who ignored three touches', () => {
    const last = daysAgo(5);
    const { sut } = run({
      tier: 'regular',
      lastInboundAt: daysAgo(40),
      orders: [{ at: daysAgo(45), amount: 600 }],
      touches: [care(daysAgo(25)), care(daysAgo(15)), care(last)],
      offer,
    });
    expect(sut.recommendation).toMatchObject({ kind: 'give_space', title: '暂不打扰', until: new Date(last.getTime() + 21 * DAY) });
    expect(sut.recommendation.reasons[0]).toBe('连续 3 次主动联系未获回复');
    expect(sut.recommendation.reasons[1]).toContain('6月20日 10:00 起可以再试一次');
    expect(sut.candidates.filter((c) => c.kind !== 'give_space' && c.allowed)).toEqual([]);
  });

  it('should wake a dormant high-value customer personally, never with marketing', () => {
    const { sut, facts } = run({
      tier: 'core',
      lastInboundAt: daysAgo(90),
      orders: [{ at: daysAgo(120), amount: 8000, product: '羊绒大衣' }],
      touches: [care(daysAgo(60))],
      offer,
    });
    expect(facts.lifecycle.stage).toBe('dormant');
    expect(sut.recommendation).toMatchObject({ kind: 'churn_wake_up', category: 'care', allowed: true });
    expect(sut.recommendation.message).toContain('李姐');
    expect(sut.recommendation.message).toContain('羊绒大衣');
    expect(sut.recommendation.reasons).toContain('请亲自一对一问候，不发营销');
    expect(sut.candidates.some((c) => c.kind === 'marketing')).toBe(false);
  });

  it('should put service first for a waiting customer even when every cap is used', () => {
    const now = sh('2025-06-04 22:30');
    const { sut, facts } = run({
      now,
      tier: 'core',
      touches: [care(sh('2025-06-02 10:00')), care(sh('2025-06-04 10:00'))],
      lastInboundAt: sh('2025-06-04 21:30'),
      waiting: { count: 2, since: sh('2025-06-04 21:30') },
      offer,
    });
    expect(facts.pressure.care).toMatchObject({ allowed: false, reasons: expect.arrayContaining(['QUIET_HOURS', 'DAILY_CAP', 'WEEKLY_CAP']) });
    expect(sut.recommendation).toMatchObject({ kind: 'service', title: '先回复客户', category: 'service', allowed: true });
    expect(sut.recommendation.reasons).toEqual(['客户 1 小时前发来 2 条消息还没有回复', '回复客户不占用联系次数']);
  });
});

describe('nextBestAction care and marketing', () => {
  it('should suggest post-sale care three days after an order', () => {
    const { sut } = run({ tier: 'key', orders: [{ at: daysAgo(3), amount: 2999, product: '空气净化器' }], lastInboundAt: daysAgo(3) });
    expect(sut.recommendation).toMatchObject({ kind: 'post_sale_care', title: '售后关怀：空气净化器' });
    expect(sut.recommendation.message).toBe('李姐您好，空气净化器收到有几天了，用着还顺手吗？有任何不清楚的地方随时问我。');
  });

  it('should suggest a birthday greeting ahead of the day', () => {
    const { sut } = run({ tier: 'regular', birthday: { month: 6, day: 5 }, lastInboundAt: daysAgo(10), touches: [care(daysAgo(10))] });
    expect(sut.recommendation).toMatchObject({ kind: 'birthday', reasons: ['1 天后（6月5日）是客户生日'] });
  });

  it('should work through a due reminder with its own text', () => {
    const { sut } = run({
      tier: 'key',
      lastInboundAt: daysAgo(5),
      touches: [care(daysAgo(5))],
      reminders: [{ id: 'r1', title: '确认安装时间', dueAt: daysAgo(1), message: '{name}，师傅这周哪天上门方便？' }],
    });
    expect(sut.recommendation).toMatchObject({ kind: 'reminder', title: '确认安装时间', reminderId: 'r1', message: '李姐，师傅这周哪天上门方便？' });
  });

  it('should recommend marketing only when pressure allows it', () => {
    const allowed = run({ tier: 'key', lastInboundAt: daysAgo(5), touches: [care(daysAgo(4))], offer }).sut;
    expect(allowed.recommendation).toMatchObject({ kind: 'marketing', title: '推荐：618 会员专享折扣', category: 'marketing' });

    const spent: Touch[] = [sh('2025-06-01 10:00'), sh('2025-06-02 10:00')].map((at) => ({ at, category: 'marketing' }));
    const { sut } = run({ tier: 'key', lastInboundAt: sh('2025-06-02 12:00'), touches: spent, offer });
    expect(sut.candidates.find((c) => c.kind === 'marketing')).toMatchObject({ allowed: false, until: sh('2025-07-01 09:00') });
    expect(sut.recommendation).toMatchObject({ kind: 'give_space', until: sh('2025-07-01 09:00') });
    expect(sut.recommendation.reasons).toEqual([
      '「推荐：618 会员专享折扣」暂不合适：本周的次数已用完、本月的次数已用完、距上次主动联系太近',
      '7月1日 09:00 起可以联系',
    ]);
  });

  it('should give space until the next revisit when there is nothing to do', () => {
    const { sut } = run({ tier: 'key', lastInboundAt: daysAgo(5), touches: [care(daysAgo(3))] });
    expect(sut.recommendation).toMatchObject({ kind: 'give_space', until: new Date(daysAgo(3).getTime() + 30 * DAY) });
    expect(sut.recommendation.reasons[0]).toBe('近期没有需要联系的事，不必为联系而联系');
  });

  it('should wait for the customer to write once pressure pauses contact', () => {
    const touches = [40, 30, 20, 10].map((d) => care(daysAgo(d)));
    const { sut } = run({ tier: 'core', lastInboundAt: daysAgo(50), orders: [{ at: daysAgo(20), amount: 500 }], touches });
    expect(sut.recommendation).toMatchObject({ kind: 'give_space', until: null, reasons: ['连续 4 次主动联系未获回复', '等客户先开口再联系'] });
  });

  it('should have nothing to do for a customer who deleted the rep', () => {
    const { sut } = run({ relation: 'deleted_by_customer', offer });
    expect(sut.recommendation).toMatchObject({ kind: 'give_space', until: null });
    expect(sut.recommendation.reasons[0]).toBe('客户删除了顾问');
    expect(sut.candidates.filter((c) => c.kind !== 'give_space')).toEqual([]);
  });

  it('should rank candidates by doctrine and leave no raw placeholders', () => {
    const { sut } = run({
      tier: 'core',
      lastInboundAt: sh('2025-06-04 09:00'),
      waiting: { count: 1, since: sh('2025-06-04 09:00') },
      orders: [{ at: daysAgo(3), amount: 900 }],
      birthday: { month: 6, day: 4 },
      offer,
    });
    const kinds = sut.candidates.map((c) => c.kind);
    expect(kinds.indexOf('service')).toBe(0);
    expect(kinds.indexOf('post_sale_care')).toBeLessThan(kinds.indexOf('birthday'));
    expect(kinds.indexOf('birthday')).toBeLessThan(kinds.indexOf('marketing'));
    for (const c of sut.candidates) {
      expect(c.title).not.toMatch(/[{}]/);
      if (c.message) expect(c.message).not.toMatch(/[{}]/);
    }
  });
});

describe('话术 the customer may read (defect: internal remarks and SKUs in the greeting)', () => {
  const rule = defaults.nextAction.salutation;

  it.each([
    ['陈先生-意向强', '陈静', '陈先生'],
    ['谢总-门店', '谢军', '谢总'],
    ['✨Lucky小王-直播间', '王晓', 'Lucky小王'],
    ['孙总 大客户 别催', '孙磊', '孙总'],
    ['刘洋（老客户，爱砍价）', '刘洋', '刘洋'],
    ['陈姐', '陈静', '陈姐'],
    ['-意向强', '陈静', '陈静'],
    ['【VIP】王姐', '王芳', '王姐'],
    [null, '🌸 花花 🌸', '花花'],
    [null, 'wmChenJing0001AAAA', ''],
  ])('remark %p, WeCom name %p → addressed as %p', (remark, wecomName, expected) => {
    expect(salutation(rule, remark, wecomName)).toBe(expected);
  });

  it('should use only the WeCom name when configured so', () => {
    expect(salutation({ ...rule, source: 'wecom_name' }, '谢总-门店', '谢军')).toBe('谢军');
  });

  it.each([
    ['有机奶粉 3段 x6', '有机奶粉 3段'],
    ['有机奶粉3段x6', '有机奶粉3段'],
    ['山茶花面霜（2瓶）', '山茶花面霜'],
    ['明前龙井礼盒（企业采购）', '明前龙井礼盒'],
    ['SKU-20391 修护精华', '修护精华'],
    ['修护精华 A1029', '修护精华'],
    ['面膜 ×3', '面膜'],
    ['洗面奶 2支装', '洗面奶'],
    ['羊绒大衣', '羊绒大衣'],
  ])('product %p reads as %p', (raw, expected) => {
    expect(productName(raw)).toBe(expected);
  });

  it('should never put the remark or the SKU line into any suggested message', () => {
    const { facts, now } = build({ tier: 'key', orders: [{ at: daysAgo(3), amount: 399, product: '有机奶粉 3段 x6' }], lastInboundAt: daysAgo(3) });
    facts.customer.name = salutation(rule, '陈先生-意向强', '陈静');
    const sut = nextBestAction(facts, now, config);
    expect(sut.recommendation.kind).toBe('post_sale_care');
    for (const c of sut.candidates) {
      expect(`${c.title}${c.message ?? ''}`).not.toMatch(/意向强|x6/);
    }
    expect(sut.recommendation.message).toBe('陈先生您好，有机奶粉 3段收到有几天了，用着还顺手吗？有任何不清楚的地方随时问我。');
  });

  it('should not open with a comma when there is no name to use', () => {
    const { facts, now } = build({ tier: 'core', lastInboundAt: daysAgo(90), orders: [{ at: daysAgo(120), amount: 8000, product: '羊绒大衣' }], touches: [care(daysAgo(60))] });
    facts.customer.name = '';
    const sut = nextBestAction(facts, now, config);
    expect(sut.recommendation.kind).toBe('churn_wake_up');
    expect(sut.recommendation.message).toMatch(/^最近还好吗/);
  });
});

describe('waiting messages and the service window (defect: 456 小时前, service of any age)', () => {
  it('should describe the first and the latest unanswered message in days past 24 hours, never hours past 48', () => {
    const { sut } = run({
      tier: 'core', lastInboundAt: sh('2025-06-04 09:00'), waiting: { count: 2, since: sh('2025-05-16 15:00') },
    });
    expect(sut.recommendation).toMatchObject({ kind: 'service', title: '先回复客户', allowed: true });
    expect(sut.recommendation.reasons[0]).toBe('客户发来的 2 条消息还没有回复（最早一条 19 天前，最近一条 1 小时前）');
    expect(sut.recommendation.reasons.join()).not.toMatch(/\d{2,} 小时前/);
  });

  it('should treat a reply past the 48 h service window as a proactive touch that pressure may hold back', () => {
    // 03:05 is inside quiet hours: a late reply is care, not never-capped service.
    const now = sh('2025-06-04 03:05');
    const { sut, facts } = run({ now, tier: 'core', lastInboundAt: sh('2025-05-30 15:00'), waiting: { count: 1, since: sh('2025-05-30 15:00') } });
    expect(facts.pressure.service.allowed).toBe(false);
    const reply = sut.candidates.find((c) => c.kind === 'service')!;
    expect(reply).toMatchObject({ title: '回复客户的留言', category: 'care', allowed: false, until: sh('2025-06-04 09:00') });
    expect(reply.reasons).toEqual(['客户 5 天前发来 1 条消息还没有回复', '已超过回复时限，这次回复按主动联系计']);
    expect(sut.recommendation.kind).toBe('give_space');
    expect(sut.recommendation.reasons[1]).toBe('今天 09:00 起可以联系');

    const later = run({ now: sh('2025-06-04 10:00'), tier: 'core', lastInboundAt: sh('2025-05-30 15:00'), waiting: { count: 1, since: sh('2025-05-30 15:00') } }).sut;
    expect(later.recommendation).toMatchObject({ kind: 'service', title: '回复客户的留言', category: 'care', allowed: true });
  });

  it('should keep never-capped service inside the window', () => {
    const { sut } = run({ now: sh('2025-06-04 23:30'), tier: 'core', lastInboundAt: sh('2025-06-04 23:00'), waiting: { count: 1, since: sh('2025-06-04 23:00') } });
    expect(sut.recommendation).toMatchObject({ kind: 'service', title: '先回复客户', category: 'service', allowed: true });
    expect(sut.recommendation.reasons[0]).toBe('客户 30 分钟前发来 1 条消息还没有回复');
  });
});

describe('the suggestion and its reminder are one thing (defect: snooze did not change the card)', () => {
  const order = { at: daysAgo(4), amount: 1280, product: '山茶花精华套装' };
  const careReminder = (dueAt: Date) => ({ id: 'r-care', kind: 'post_sale_care', title: '售后关怀：山茶花精华套装', dueAt, message: '{name}您好，精华用着还顺手吗？' });

  it('should carry post-sale care through its reminder, so done and snooze act on the suggestion', () => {
    const { sut } = run({ tier: 'key', orders: [order], lastInboundAt: daysAgo(4), reminders: [careReminder(daysAgo(1))], postSaleFromReminders: true });
    expect(sut.recommendation).toMatchObject({ kind: 'post_sale_care', reminderId: 'r-care', message: '李姐您好，精华用着还顺手吗？' });
    expect(sut.candidates.filter((c) => c.kind === 'post_sale_care')).toHaveLength(1);
  });

  it('should stop suggesting a snoozed reminder until it comes back, whether or not reminders are wired', () => {
    for (const wired of [true, false]) {
      const { sut } = run({ tier: 'key', orders: [order], lastInboundAt: daysAgo(4), reminders: [careReminder(sh('2025-06-05 09:00'))], postSaleFromReminders: wired });
      expect(sut.candidates.some((c) => c.kind === 'post_sale_care')).toBe(false);
      expect(sut.recommendation.reminderId).toBeUndefined();
    }
  });

  it('should not bring a completed care reminder back from the orders when reminders are wired', () => {
    const { sut } = run({ tier: 'key', orders: [order], lastInboundAt: daysAgo(4), reminders: [], postSaleFromReminders: true });
    expect(sut.candidates.some((c) => c.kind === 'post_sale_care')).toBe(false);
  });
});

describe('暂不打扰 dates (defect: "12月2日起可以联系" at 03:05 while the strip said 今天 10:00)', () => {
  it('should date giving space at an instant the pressure policy allows, outside quiet hours, with the exact time', () => {
    // The last of three unanswered touches was at 02:00 three weeks ago: rest ends at 02:00, inside quiet hours (21:00–09:00).
    const last = sh('2025-05-14 02:00');
    const now = sh('2025-06-04 01:30');
    const { sut } = run({ now, tier: 'regular', lastInboundAt: sh('2025-04-20 10:00'), touches: [care(sh('2025-04-24 10:00')), care(sh('2025-05-04 10:00')), care(last)] });
    expect(sut.recommendation.kind).toBe('give_space');
    const until = sut.recommendation.until!;
    expect(until).toEqual(sh('2025-06-04 09:00'));
    const quietCheck = evaluate({ id: 'wm-li', tier: 'regular', touches: [], lastInboundAt: null, complaint: { openSince: null, lastClosedAt: null }, relation: 'active' }, 'care', until, policy);
    expect(quietCheck.allowed).toBe(true);
    const oneMinuteEarlier = evaluate({ id: 'wm-li', tier: 'regular', touches: [], lastInboundAt: null, complaint: { openSince: null, lastClosedAt: null }, relation: 'active' }, 'care', new Date(until.getTime() - 60_000), policy);
    expect(oneMinuteEarlier).toMatchObject({ allowed: false, reasons: ['QUIET_HOURS'] });
    expect(sut.recommendation.reasons[1]).toBe('给客户一点空间：今天 09:00 起可以再试一次，换个方式、只问候不推销');
  });

  it('should let the rep read the 话术 meant for later without offering it to send', () => {
    const spent: Touch[] = [sh('2025-06-01 10:00'), sh('2025-06-02 10:00')].map((at) => ({ at, category: 'marketing' }));
    const { sut } = run({ tier: 'key', lastInboundAt: sh('2025-06-02 12:00'), touches: spent, offer });
    expect(sut.recommendation).toMatchObject({ kind: 'give_space', message: null });
    expect(sut.recommendation.laterMessage).toContain('618 会员专享折扣');
  });
});

describe('a relation that ended for this rep (defect: 定期回访 and 本周还可主动联系 for a customer who deleted the rep)', () => {
  it('should offer nothing to send when the customer deleted this rep, though a colleague still follows them', () => {
    const { sut, facts } = run({ tier: 'core', relation: 'active', viewerRelation: 'deleted_by_customer', lastInboundAt: daysAgo(40), orders: [{ at: daysAgo(100), amount: 900 }], offer });
    expect(facts.lifecycle.stage).not.toBe('lost');
    expect(sut.recommendation).toMatchObject({ kind: 'give_space', title: '已无法联系', message: null, laterMessage: null });
    expect(sut.recommendation.reasons[0]).toBe('客户已把你从好友中删除');
    expect(sut.candidates.filter((c) => c.kind !== 'give_space')).toEqual([]);
  });
});
