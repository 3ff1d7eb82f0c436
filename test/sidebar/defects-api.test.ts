import { upsertOrders } from '../../src/orders/repository';
import type { ContactProfileView } from '../../src/sidebar-api/types';
import { CUSTOMERS, NOW, REPS } from './fixture';
import { SidebarClient } from './http';
import { startSidebarWorld, type SidebarWorld } from './world';

/**
 * Issue 13, the sidebar defects reps met in the pilot, over HTTP against the real server, the
 * seeded corp and the WeCom simulator: each test fails on the code before its fix.
 */

jest.setTimeout(120_000);

let world: SidebarWorld;

beforeAll(async () => {
  world = await startSidebarWorld();
});

afterAll(async () => {
  await world?.stop();
});

async function as(userId: string): Promise<SidebarClient> {
  const c = new SidebarClient(world);
  expect((await c.signIn(userId)).status).toBe(302);
  return c;
}

const profile = async (c: SidebarClient, id: string) => {
  const res = await c.json<ContactProfileView>('GET', `/sidebar/api/contacts/${id}`);
  expect(res.status).toBe(200);
  return res.body;
};

describe('defect 12: complaints', () => {
  it('should not call a keyword suggestion nobody confirmed "投诉处理中", anywhere on the page', async () => {
    const c = await as(REPS.zhangwei);
    const he = await profile(c, CUSTOMERS.he);
    expect(he.complaints).toEqual([expect.objectContaining({ status: 'suggested', excerptBy: 'customer', author: null })]);
    expect(he.pressure.headline).toBe('暂不营销：客户可能在投诉，请先确认');
    expect(he.lifecycle.signals).toEqual(['客户消息里提到投诉，还没有确认']);
    expect(JSON.stringify(he)).not.toContain('投诉处理中');
    expect(JSON.stringify(he)).not.toContain('有未处理完的投诉');
  });

  it('should say whose words a complaint note is: the rep\'s own record, never the customer\'s', async () => {
    const lina = await profile(await as(REPS.lina), CUSTOMERS.liu);
    expect(lina.complaints).toEqual([expect.objectContaining({ status: 'confirmed', source: 'rep', excerptBy: 'rep', author: '你' })]);
    // The supervisor sees who wrote it.
    const boss = await profile(await as(REPS.supervisor), CUSTOMERS.liu);
    expect(boss.complaints[0]).toMatchObject({ excerptBy: 'rep', author: '李娜' });
  });

  it('should keep a customer refunded after a complaint at risk, and score the refunded order as no purchase', async () => {
    const c = await as(REPS.lina);
    const before = await profile(c, CUSTOMERS.liu);
    // The order the complaint was about: 山茶花面霜 ¥460 paid five days ago at 15:00 (four calendar days).
    expect(before.tier.reasons.find((r) => r.label.startsWith('最近一次消费'))).toEqual({ label: '最近一次消费在 4 天前', points: expect.any(Number) });
    const now = NOW.getTime();
    await world.app.services.db.transaction((tx) => upsertOrders(tx, [
      { orderId: 'RF-2001', externalUserId: CUSTOMERS.liu, amount: -460, paidAt: now - 3_600_000, product: '山茶花面霜 退款' },
    ], 'api', now));
    const closed = await c.json<ContactProfileView>('POST', `/sidebar/api/contacts/${CUSTOMERS.liu}/complaints/${before.complaints[0].id}/close`,
      { resolution: 'refunded', note: '已全额退款，客户说以后不会再买了' });
    expect(closed.status).toBe(200);
    const after = closed.body;
    expect(after.lifecycle.stage).toBe('at_risk');
    expect(after.lifecycle.signals).toContain('投诉今天以退款结束，之后还没有再消费');
    expect(after.tier.reasons).toContainEqual({ label: '从未消费', points: 0 });
    expect(after.tier.reasons.some((r) => r.label.startsWith('最近一次消费'))).toBe(false);
    expect(after.nextAction.kind).not.toBe('post_sale_care');

    // Buying again after the close is the sign that lifts it.
    world.clock.advance(3_600_000);
    try {
      await world.app.services.db.transaction((tx) => upsertOrders(tx, [
        { orderId: 'SO-2002', externalUserId: CUSTOMERS.liu, amount: 199, paidAt: now + 1_800_000, product: '舒缓面膜' },
      ], 'api', now + 3_600_000));
      const again = await profile(c, CUSTOMERS.liu);
      expect(again.lifecycle.signals.join()).not.toContain('投诉今天以退款结束');
      expect(again.lifecycle.stage).not.toBe('at_risk');
    } finally {
      world.clock.advance(-3_600_000);
    }
  });
});
