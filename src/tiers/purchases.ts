import { OrderFact } from './types';

/**
 * Purchases that still stand once refunds are taken off. A refund is imported as its own order
 * with a negative amount (orders/types.ts) and names no order it refunds, so it is matched here:
 * to the latest earlier purchase of exactly its amount (a whole order refunded, the usual case),
 * else against the latest earlier purchases in turn. A purchase refunded in full is no purchase:
 * it earns no "最近一次消费" points, keeps no one 活跃 and gets no post-sale care. A partial refund
 * leaves the purchase standing with what is left of it.
 *
 * Only orders up to `nowMs` count (future-dated ones are clock skew or bad imports).
 */
export function standingPurchases(orders: OrderFact[], nowMs: number): OrderFact[] {
  const past = orders.filter((o) => o.at.getTime() <= nowMs).sort((a, b) => a.at.getTime() - b.at.getTime() || b.amount - a.amount);
  const open: { order: OrderFact; left: number }[] = [];
  for (const o of past) {
    if (o.amount > 0) {
      open.push({ order: o, left: o.amount });
      continue;
    }
    let refund = -o.amount;
    const exact = findLast(open, (p) => sameYuan(p.left, refund));
    if (exact) {
      exact.left = 0;
      continue;
    }
    for (let i = open.length - 1; i >= 0 && refund > 0; i--) {
      const take = Math.min(open[i].left, refund);
      open[i].left -= take;
      refund -= take;
    }
  }
  return open.filter((p) => p.left > 0.005).map((p) => ({ ...p.order, amount: p.left }));
}

function sameYuan(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.005;
}

function findLast<T>(xs: T[], f: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (f(xs[i])) return xs[i];
  return undefined;
}
