import { lifecycleStage } from '../../src/lifecycle';
import { NextActionFacts, nextBestAction, pressureVerdicts } from '../../src/next-action';
import { RelationStatus } from '../../src/policy/types';
import { Touch } from '../../src/pressure';
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
  const pressure = pressureVerdicts(
    {
      id: 'wm-li',
      tier,
      touches,
      lastInboundAt,
      complaint: { openSince: s.complaint ? s.complaint.openedAt : null, lastClosedAt: null },
      relation: s.relation ?? 'active',
    },
    now,
    policy,
  );
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
    expect(sut.recommendation.reasons[1]).toContain('6月20日后再试一次');
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
      '7月1日起可以联系',
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
