import type { Sql } from '../db/database';
import { num, placeholders } from '../db/sql';
import type { OrderFact } from '../tiers/types';
import type { OrderImportResult, OrderInput } from './types';

/** Orders, idempotent by the shop's order id, linked to customers by external userid, unionid or mobile. */

const SELECT = 'SELECT external_order_id, external_user_id, unionid, mobile, amount, paid_at, product, items FROM orders';

/**
 * Inserts new orders and updates changed ones, inside the caller's transaction (so a batch is
 * all or nothing). Customers are resolved once per batch.
 */
export async function upsertOrders(tx: Sql, orders: OrderInput[], source: 'api' | 'csv', now: number): Promise<OrderImportResult> {
  const result: OrderImportResult = { created: 0, updated: 0, unchanged: 0, unlinked: 0 };
  for (let i = 0; i < orders.length; i += 500) {
    const part = orders.slice(i, i + 500);
    const customers = await resolveCustomers(tx, part);
    const existing = new Map((await tx.query<Record<string, unknown>>(
      `${SELECT} WHERE external_order_id IN (${placeholders(part.length)})`, part.map((o) => o.orderId))).map((r) => [String(r.external_order_id).toLowerCase(), r]));
    for (const o of part) {
      const ext = customers.get(o.orderId) ?? null;
      if (!ext) result.unlinked++;
      const row = [ext, o.unionid ?? null, o.mobile ?? null, o.amount, o.paidAt, o.product ?? null, o.items == null ? null : JSON.stringify(o.items)];
      // Without case: MySQL's collation finds 'AB' for 'ab' (ids are ASCII, see validate.ts).
      const cur = existing.get(o.orderId.toLowerCase());
      if (!cur) {
        await tx.exec(
          `INSERT INTO orders (external_order_id, external_user_id, unionid, mobile, amount, paid_at, product, items, source, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?,?,?)`, [o.orderId, ...row, source, now, now]);
        result.created++;
      } else if (sameOrder(cur, row)) {
        result.unchanged++;
      } else {
        await tx.exec(
          `UPDATE orders SET external_user_id = ?, unionid = ?, mobile = ?, amount = ?, paid_at = ?, product = ?, items = ?, source = ?, updated_at = ?
           WHERE external_order_id = ?`, [...row, source, now, o.orderId]);
        result.updated++;
      }
    }
  }
  return result;
}

function sameOrder(cur: Record<string, unknown>, next: unknown[]): boolean {
  const keys = ['external_user_id', 'unionid', 'mobile', 'amount', 'paid_at', 'product', 'items'];
  return keys.every((k, i) => {
    const a = cur[k];
    const b = next[i];
    if (k === 'amount' || k === 'paid_at') return Number(a) === Number(b);
    return (a ?? null) === (b ?? null);
  });
}

/** order id → external userid, trying external userid, then unionid, then a unique remark mobile. */
async function resolveCustomers(tx: Sql, orders: OrderInput[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unionids = [...new Set(orders.filter((o) => !o.externalUserId && o.unionid).map((o) => o.unionid!))];
  const mobiles = [...new Set(orders.filter((o) => !o.externalUserId && o.mobile).map((o) => o.mobile!))];
  const byUnionid = new Map<string, string>();
  if (unionids.length) {
    const rows = await tx.query<{ unionid: string; external_user_id: string }>(
      `SELECT unionid, external_user_id FROM external_contacts WHERE unionid IN (${placeholders(unionids.length)})`, unionids);
    for (const r of rows) byUnionid.set(r.unionid, r.external_user_id);
  }
  const byMobile = await customersByMobile(tx, mobiles);
  for (const o of orders) {
    const ext = o.externalUserId || (o.unionid && byUnionid.get(o.unionid)) || (o.mobile && byMobile.get(o.mobile)) || null;
    if (ext) out.set(o.orderId, ext);
  }
  return out;
}

/** Mobile → customer, only when exactly one customer carries that remark mobile. */
async function customersByMobile(db: Sql, mobiles: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (mobiles.length === 0) return out;
  const rows = await db.query<{ mobile: string; external_user_id: string }>(
    `SELECT DISTINCT mobile, external_user_id FROM contact_mobiles WHERE mobile IN (${placeholders(mobiles.length)})`, mobiles);
  const ambiguous = new Set<string>();
  for (const r of rows) {
    if (out.has(r.mobile) && out.get(r.mobile) !== r.external_user_id) ambiguous.add(r.mobile);
    else out.set(r.mobile, r.external_user_id);
  }
  for (const m of ambiguous) out.delete(m);
  return out;
}

/** Links stored orders that had no customer yet (run after contacts change). Returns how many. */
export async function linkOrphanOrders(db: Sql, now: number): Promise<number> {
  let linked = await db.exec(
    `UPDATE orders SET external_user_id = (SELECT MIN(c.external_user_id) FROM external_contacts c WHERE c.unionid = orders.unionid), updated_at = ?
     WHERE external_user_id IS NULL AND unionid IS NOT NULL AND EXISTS (SELECT 1 FROM external_contacts c WHERE c.unionid = orders.unionid)`, [now]);
  const orphans = await db.query<{ mobile: string }>('SELECT DISTINCT mobile FROM orders WHERE external_user_id IS NULL AND mobile IS NOT NULL LIMIT 5000');
  const byMobile = await customersByMobile(db, orphans.map((r) => r.mobile));
  for (const [mobile, ext] of byMobile) {
    linked += await db.exec('UPDATE orders SET external_user_id = ?, updated_at = ? WHERE external_user_id IS NULL AND mobile = ?', [ext, now, mobile]);
  }
  return linked;
}

/** Links waiting orders to one customer who just appeared (by their unionid and remark mobiles). */
export async function linkOrdersOfContact(db: Sql, externalUserId: string, o: { unionid?: string | null; mobiles?: string[] }, now: number): Promise<number> {
  let linked = 0;
  if (o.unionid) {
    linked += await db.exec('UPDATE orders SET external_user_id = ?, updated_at = ? WHERE external_user_id IS NULL AND unionid = ?',
      [externalUserId, now, o.unionid]);
  }
  const byMobile = await customersByMobile(db, o.mobiles ?? []);
  for (const [mobile, ext] of byMobile) {
    if (ext !== externalUserId) continue;
    linked += await db.exec('UPDATE orders SET external_user_id = ?, updated_at = ? WHERE external_user_id IS NULL AND mobile = ?', [ext, now, mobile]);
  }
  return linked;
}

export interface StoredOrder {
  orderId: string;
  externalUserId: string | null;
  amount: number;
  paidAt: number;
  product: string | null;
  items: unknown;
}

export async function findOrdersOfCustomer(db: Sql, externalUserId: string, limit = 100): Promise<StoredOrder[]> {
  const rows = await db.query<Record<string, unknown>>(`${SELECT} WHERE external_user_id = ? ORDER BY paid_at DESC LIMIT ?`, [externalUserId, limit]);
  return rows.map(toOrder);
}

export async function findOrder(db: Sql, orderId: string): Promise<StoredOrder | null> {
  const rows = await db.query<Record<string, unknown>>(`${SELECT} WHERE external_order_id = ?`, [orderId]);
  return rows[0] ? toOrder(rows[0]) : null;
}

/** Orders since an instant for many customers, as the tier model reads them. */
export async function findOrderFacts(db: Sql, externalUserIds: string[], since: number): Promise<Map<string, OrderFact[]>> {
  const out = new Map<string, OrderFact[]>();
  for (let i = 0; i < externalUserIds.length; i += 500) {
    const part = externalUserIds.slice(i, i + 500);
    if (part.length === 0) continue;
    const rows = await db.query<Record<string, unknown>>(
      `SELECT external_order_id, external_user_id, amount, paid_at, product FROM orders WHERE external_user_id IN (${placeholders(part.length)}) AND paid_at >= ?
       ORDER BY paid_at`, [...part, since]);
    for (const r of rows) {
      const list = out.get(String(r.external_user_id)) ?? [];
      list.push({ at: new Date(num(r.paid_at)), amount: Number(r.amount), product: (r.product as string) ?? undefined, id: String(r.external_order_id) });
      out.set(String(r.external_user_id), list);
    }
  }
  return out;
}

function toOrder(r: Record<string, unknown>): StoredOrder {
  return {
    orderId: String(r.external_order_id), externalUserId: (r.external_user_id as string) ?? null, amount: Number(r.amount),
    paidAt: num(r.paid_at), product: (r.product as string) ?? null, items: r.items ? (JSON.parse(String(r.items)) as unknown) : null,
  };
}
