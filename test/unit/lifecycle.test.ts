import { ChurnCandidate, LifecycleFacts, lifecycleStage, rankChurnRisk } from '../../src/lifecycle';
import { defaults } from './support/fixtures';

const config = defaults.tiers;
const now = new Date('2025-06-01T10:00:00+08:00');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
const order = (d: number, amount = 500) => ({ at: daysAgo(d), amount });

const closedAs = (code: 'refunded' | 'unresolved' | 'compensated', ago: number) => ({ openSince: null, lastClosedAt: daysAgo(ago), unconfirmed: false, lastClosedResolution: code });

function facts(over: Partial<LifecycleFacts> = {}): LifecycleFacts {
  return {
    tier: 'core',
    relation: 'active',
    addedAt: daysAgo(400),
    orders: [],
    lastInboundAt: null,
    unansweredTouches: 0,
    openComplaint: false,
    ...over,
  };
}

describe('lifecycleStage', () => {
  it.each<[string, Partial<LifecycleFacts>, string, string[]]>([
    ['a customer who deleted the rep is lost', { relation: 'deleted_by_customer', relationEndedAt: daysAgo(3), orders: [order(5)] }, 'lost', ['CUSTOMER_DELETED']],
    ['a rep who deleted the customer ends it too', { relation: 'deleted_by_rep' }, 'lost', ['REP_DELETED']],
    ['a fresh add with one order is new', { addedAt: daysAgo(5), orders: [order(4)] }, 'new', ['NEW_CUSTOMER']],
    ['a fresh add who complains is at risk', { addedAt: daysAgo(5), openComplaint: true }, 'at_risk', ['OPEN_COMPLAINT']],
    ['a core customer buying and talking is active', { orders: [order(10)], lastInboundAt: daysAgo(3) }, 'active', ['RECENT_ACTIVITY']],
    ['a core customer quiet for 50 days is at risk', { orders: [order(50)], lastInboundAt: daysAgo(25) }, 'at_risk', ['NO_RECENT_PURCHASE', 'NO_RECENT_CONTACT']],
    ['a core customer quiet for 100 days is dormant', { orders: [order(100)], lastInboundAt: daysAgo(60) }, 'dormant', ['NO_RECENT_PURCHASE', 'NO_RECENT_CONTACT']],
    ['a core customer quiet for most of a year is lost', { orders: [order(300)], lastInboundAt: daysAgo(200) }, 'lost', ['NO_RECENT_PURCHASE', 'NO_RECENT_CONTACT']],
    ['a buyer who still chats is alive', { orders: [order(100)], lastInboundAt: daysAgo(2) }, 'active', ['RECENT_ACTIVITY']],
    ['falling purchase frequency is a risk', { orders: [order(20), order(200), order(250), order(300), order(340)], lastInboundAt: daysAgo(5) }, 'at_risk', ['FREQUENCY_FALLING']],
    ['three unanswered touches are a risk', { orders: [order(10)], lastInboundAt: daysAgo(10), unansweredTouches: 3 }, 'at_risk', ['UNANSWERED_TOUCHES']],
    ['a complaint only suggested by keywords is said as such', { orders: [order(10)], lastInboundAt: daysAgo(1), openComplaint: true,
      complaint: { openSince: daysAgo(1), lastClosedAt: null, unconfirmed: true } }, 'at_risk', ['COMPLAINT_SUGGESTED']],
    ['a complaint closed with a refund keeps a talking customer at risk', { orders: [order(5), order(2, -500)], lastInboundAt: daysAgo(1), complaint: closedAs('refunded', 1) }, 'at_risk', ['COMPLAINT_AFTERMATH']],
    ['an unresolved complaint keeps them at risk too', { orders: [order(20)], lastInboundAt: daysAgo(1), complaint: closedAs('unresolved', 3) }, 'at_risk', ['COMPLAINT_AFTERMATH']],
    ['a complaint closed with compensation does not', { orders: [order(20)], lastInboundAt: daysAgo(1), complaint: closedAs('compensated', 3) }, 'active', ['RECENT_ACTIVITY']],
    ['buying again after a refund lifts it', { orders: [order(1)], lastInboundAt: daysAgo(1), complaint: closedAs('refunded', 3) }, 'active', ['RECENT_ACTIVITY']],
    ['the aftermath of a refund ends after 60 days', { orders: [order(70)], lastInboundAt: daysAgo(5), complaint: closedAs('refunded', 61) }, 'active', ['RECENT_ACTIVITY']],
    ['a purchase refunded in full is no sign of life', { orders: [order(3), order(2, -500)], lastInboundAt: null, addedAt: daysAgo(400), tier: 'regular' }, 'dormant', ['NO_RECENT_CONTACT']],
  ])('should find that %s', (_, over, stage, codes) => {
    const sut = lifecycleStage(facts(over), now, config);
    expect(sut.stage).toBe(stage);
    expect(sut.signals.map((s) => s.code)).toEqual(codes);
    for (const s of sut.signals) expect(s.label).toMatch(/[\u4e00-\u9fff]/);
  });

  it('should judge silence against the tier norm', () => {
    const quiet = { orders: [order(50)], lastInboundAt: daysAgo(40) };
    expect(lifecycleStage(facts({ ...quiet, tier: 'core' }), now, config).stage).toBe('at_risk');
    expect(lifecycleStage(facts({ ...quiet, tier: 'regular' }), now, config).stage).toBe('active');
  });

  it('should label stages and signals in Chinese with the norm', () => {
    const sut = lifecycleStage(facts({ orders: [order(50)], lastInboundAt: daysAgo(25) }), now, config);
    expect(sut.label).toBe('流失风险');
    expect(sut.signals[0].label).toBe('已 50 天没有消费（核心客户通常 30 天内复购）');
    expect(sut).toMatchObject({ daysSincePurchase: 50, daysSinceInbound: 25 });
  });

  it('should date the deletion in the corp time zone', () => {
    const sut = lifecycleStage(facts({ relation: 'deleted_by_customer', relationEndedAt: new Date('2025-05-31T17:00:00Z') }), now, config);
    expect(sut.signals[0].label).toBe('客户删除了顾问（6月1日）');
  });
});

describe('rankChurnRisk', () => {
  const at = (customerId: string, repId: string, value: number, stage: 'at_risk' | 'dormant' | 'active' | 'lost'): ChurnCandidate => ({
    customerId,
    repId,
    tier: 'core',
    value,
    lifecycle: { stage, label: '', signals: [{ code: 'NO_RECENT_CONTACT', label: '已 40 天未来消息' }], daysSincePurchase: null, daysSinceInbound: 40 },
  });

  it('should list each rep\'s at-risk customers by value at risk', () => {
    const sut = rankChurnRisk([
      at('a', 'rep1', 3000, 'at_risk'),
      at('b', 'rep1', 12000, 'dormant'),
      at('c', 'rep1', 99999, 'active'),
      at('d', 'rep1', 50000, 'lost'),
      at('e', 'rep2', 40000, 'at_risk'),
      at('f', 'rep1', 3000, 'dormant'),
    ]);
    expect(sut.map((r) => [r.repId, r.totalValueAtRisk])).toEqual([
      ['rep2', 40000],
      ['rep1', 18000],
    ]);
    expect(sut[1].customers.map((c) => c.customerId)).toEqual(['b', 'a', 'f']);
    expect(sut[1].customers[0]).toMatchObject({ stageLabel: '沉睡', signals: ['已 40 天未来消息'] });
  });

  it('should cut each list to the limit but keep the full total', () => {
    const sut = rankChurnRisk([at('a', 'r', 100, 'at_risk'), at('b', 'r', 200, 'at_risk'), at('c', 'r', 300, 'at_risk')], { limitPerRep: 2 });
    expect(sut[0].customers.map((c) => c.customerId)).toEqual(['c', 'b']);
    expect(sut[0].totalValueAtRisk).toBe(600);
  });
});
