import { CustomerFacts, diffTier, scoreTier, standingPurchases, tierForScore } from '../../src/tiers';
import { defaults } from './support/fixtures';

const config = defaults.tiers;
const now = new Date('2025-06-01T10:00:00+08:00');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

function facts(over: Partial<CustomerFacts> = {}): CustomerFacts {
  return {
    customerId: 'wm-1',
    orders: [],
    engagement: { inboundMessages: 0, proactiveTouches: 0, answeredTouches: 0, lastInboundAt: null },
    tags: [],
    override: null,
    ...over,
  };
}

const loyal = facts({
  orders: [3, 40, 80, 150, 220, 300].map((d, i) => ({ at: daysAgo(d), amount: [2400, 2000, 2000, 2000, 2000, 2000][i] })),
  engagement: { inboundMessages: 25, proactiveTouches: 5, answeredTouches: 4, lastInboundAt: daysAgo(2) },
  tags: ['VIP'],
});

describe('scoreTier', () => {
  it('should explain a core customer in Chinese with reasons that sum to the score', () => {
    const sut = scoreTier(loyal, now, config);
    expect(sut.tier).toBe('core');
    expect(sut.tierLabel).toBe('核心');
    expect(sut.score).toBe(sut.reasons.reduce((s, r) => s + r.points, 0));
    expect(sut.score).toBe(20 + 20 + 30 + 10 + 8 + 6 + 10);
    for (const r of sut.reasons) expect(r.label).toMatch(/[\u4e00-\u9fff]/);
    expect(sut.reasons.map((r) => r.label)).toEqual(
      expect.arrayContaining(['最近一次消费在 3 天前', '近365天下单 6 次', '近365天消费 ¥12,400', '标签「VIP」']),
    );
  });

  it.each([
    [100, 'core'],
    [70, 'core'],
    [69, 'key'],
    [45, 'key'],
    [44, 'regular'],
    [20, 'regular'],
    [19, 'potential'],
    [-30, 'potential'],
  ])('should put score %d in tier %s', (score, tier) => {
    expect(tierForScore(score, config)).toBe(tier);
  });

  it('should score a stranger zero and say why', () => {
    const sut = scoreTier(facts(), now, config);
    expect(sut).toMatchObject({ tier: 'potential', score: 0 });
    expect(sut.reasons.find((r) => r.code === 'RECENCY')?.label).toBe('从未消费');
  });

  it('should let a refund cancel the money it refunds', () => {
    const sut = scoreTier(facts({ orders: [{ at: daysAgo(10), amount: 5000 }, { at: daysAgo(8), amount: -5000 }] }), now, config);
    expect(sut.reasons.find((r) => r.code === 'MONETARY')).toEqual({ code: 'MONETARY', label: '近365天消费 ¥0', points: 0 });
  });

  it('should ignore orders dated in the future', () => {
    const sut = scoreTier(facts({ orders: [{ at: daysAgo(-3), amount: 50_000 }] }), now, config);
    expect(sut.score).toBe(0);
  });

  it('should not judge a reply ratio on too few touches', () => {
    const sut = scoreTier(facts({ engagement: { inboundMessages: 0, proactiveTouches: 2, answeredTouches: 0, lastInboundAt: null } }), now, config);
    expect(sut.reasons.find((r) => r.code === 'REPLY_RATIO')).toMatchObject({ points: 0, label: '近90天主动联系不足 3 次，不计回复率' });
  });

  it('should take points off for a customer who never answers', () => {
    const sut = scoreTier(facts({ engagement: { inboundMessages: 0, proactiveTouches: 6, answeredTouches: 0, lastInboundAt: null } }), now, config);
    expect(sut.reasons.find((r) => r.code === 'REPLY_RATIO')).toEqual({ code: 'REPLY_RATIO', label: '近90天回复了 0/6 次主动联系', points: -4 });
  });

  it('should count each configured tag once and ignore unknown tags', () => {
    const sut = scoreTier(facts({ tags: ['VIP', 'VIP', '高意向', '路人'] }), now, config);
    expect(sut.reasons.filter((r) => r.code === 'TAG').map((r) => [r.label, r.points])).toEqual([
      ['标签「VIP」', 10],
      ['标签「高意向」', 5],
    ]);
  });

  it('should follow an active manual override but keep the score honest', () => {
    const override = { tier: 'core', reason: '战略合作客户', author: '王经理', setAt: daysAgo(5), expiresAt: daysAgo(-30) };
    const sut = scoreTier(facts({ override }), now, config);
    expect(sut).toMatchObject({ tier: 'core', scoredTier: 'potential', score: 0, override });
    expect(sut.reasons.find((r) => r.code === 'MANUAL_OVERRIDE')).toEqual({
      code: 'MANUAL_OVERRIDE',
      label: '手动设为「核心」：战略合作客户（王经理，有效至 7月1日）',
      points: 0,
    });
  });

  it('should ignore an expired manual override', () => {
    const override = { tier: 'core', reason: '活动期间', author: '王经理', setAt: daysAgo(40), expiresAt: daysAgo(1) };
    const sut = scoreTier(facts({ override }), now, config);
    expect(sut).toMatchObject({ tier: 'potential', override: null });
    expect(sut.reasons.some((r) => r.code === 'MANUAL_OVERRIDE')).toBe(false);
  });

  it('should ignore an override naming a tier that no longer exists', () => {
    const sut = scoreTier(facts({ override: { tier: 'diamond', reason: '旧配置', author: '系统', setAt: daysAgo(5) } }), now, config);
    expect(sut.tier).toBe('potential');
  });
});

describe('diffTier', () => {
  const regular = scoreTier(facts({ orders: [{ at: daysAgo(60), amount: 800 }] }), now, config);

  it('should record the first tier', () => {
    const sut = diffTier(null, regular);
    expect(sut).toMatchObject({ record: true, from: null, to: 'regular', direction: 'initial' });
    expect(sut.reasons[0]).toBe('首次定级：普通（27 分）');
  });

  it('should not record a score change inside the same tier', () => {
    const next = scoreTier(facts({ orders: [{ at: daysAgo(60), amount: 800 }], tags: ['高意向'] }), now, config);
    expect(next.tier).toBe('regular');
    expect(diffTier(regular, next)).toMatchObject({ record: false, direction: 'same', reasons: [] });
  });

  it('should record a move up with the factors that moved', () => {
    const next = scoreTier(facts({ orders: [{ at: daysAgo(2), amount: 800 }, { at: daysAgo(60), amount: 4000 }] }), now, config);
    const sut = diffTier(regular, next);
    expect(sut).toMatchObject({ record: true, from: 'regular', to: 'key', direction: 'up' });
    expect(sut.reasons[0]).toBe(`普通 → 重要（27 → ${next.score} 分）`);
    expect(sut.reasons).toContain('近365天消费 ¥4,800（+10 分）');
  });

  it('should record an override being lifted', () => {
    const override = { tier: 'core', reason: '战略合作客户', author: '王经理', setAt: daysAgo(40), expiresAt: daysAgo(-1) };
    const before = scoreTier(facts({ override }), daysAgo(2), config);
    const after = scoreTier(facts({ override }), daysAgo(-2), config);
    const sut = diffTier(before, after);
    expect(sut).toMatchObject({ record: true, from: 'core', to: 'potential', direction: 'down' });
    expect(sut.reasons).toContain('手动调整已到期或被撤销，恢复按得分定级');
  });
});

describe('standingPurchases', () => {
  const now = new Date('2025-06-01T10:00:00+08:00');
  const at = (d: number) => new Date(now.getTime() - d * 86_400_000);
  const o = (d: number, amount: number) => ({ at: at(d), amount });
  it.each<[string, { at: Date; amount: number }[], [number, number][]]>([
    ['a whole order refunded is gone', [o(10, 300), o(5, 460), o(4, -460)], [[10, 300]]],
    ['a refund of an older order\'s exact amount cancels that order, not the latest', [o(10, 300), o(5, 460), o(4, -300)], [[5, 460]]],
    ['a partial refund leaves the order with what is left', [o(5, 460), o(4, -60)], [[5, 400]]],
    ['a refund larger than the latest order eats into the one before', [o(10, 300), o(5, 200), o(4, -350)], [[10, 150]]],
    ['a refund before any order refunds nothing', [o(10, -100), o(5, 200)], [[5, 200]]],
    ['a future-dated order is not counted', [o(-1, 200), o(5, 100)], [[5, 100]]],
    ['an order whose amount was set to 0 by a refund is no purchase', [o(5, 0)], []],
  ])('%s', (_, orders, standing) => {
    expect(standingPurchases(orders, now.getTime()).map((p) => [Math.round((now.getTime() - p.at.getTime()) / 86_400_000), p.amount])).toEqual(standing);
  });

  it('should give a refunded order no recency points ("最近一次消费 +20分")', () => {
    const facts: CustomerFacts = {
      customerId: 'wm-1', orders: [o(400, 200), o(5, 460), o(4, -460)],
      engagement: { inboundMessages: 0, proactiveTouches: 0, answeredTouches: 0, lastInboundAt: null }, tags: [],
    };
    const recency = scoreTier(facts, now, defaults.tiers).reasons.find((r) => r.code === 'RECENCY')!;
    expect(recency).toEqual({ code: 'RECENCY', label: '最近一次消费在 400 天前', points: 0 });
  });
});
