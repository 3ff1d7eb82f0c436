import type { Database, Sql } from '../db/database';
import { chunks, insertIgnoringDuplicates, num, numOrNull, placeholders, retryOnLockConflict } from '../db/sql';
import type { ReminderSource, SidebarReminder } from '../sidebar-api/reminders-port';
import type { AttributeInput } from './attributes';
import { chooseOwner } from './owner';
import type { RuleCustomer } from './rules';

export interface NewReminder {
  externalUserId: string;
  userId: string;
  kind: string;
  /**
   * Its cause: the rule and subject that produced it (e.g. post_sale:3:SO-1006). Unique in the
   * database (uq_reminders_cause): one reminder per cause, for one rep, whoever follows the customer.
   */
  ruleKey: string;
  title: string;
  message: string | null;
  dueAt: number;
  /** Why, in Chinese, for the rep only (the customer never sees it); includes a pressure deferral. */
  reason?: string | null;
}

export interface PaidOrder {
  externalOrderId: string;
  externalUserId: string;
  product: string | null;
  /** The rep the order's care belongs to. */
  ownerUserId: string;
  /** The owner's remark for the customer. */
  remark: string | null;
  name: string | null;
  /** The 称呼 a rep set in the sidebar (customer_profiles); it addresses the customer first. */
  salutation?: string | null;
}

/** Reminders in the database: what the sidebar lists, completes and snoozes. */
export class ReminderStore implements ReminderSource {
  constructor(private readonly db: Database) {}

  /**
   * Creates reminders whose cause has none yet; returns how many were new. Two job runs racing
   * (two instances, a manual run beside the scheduled one) both insert, and the unique key on
   * the cause keeps the first: the loser's insert changes nothing.
   */
  async create(items: NewReminder[], now: number): Promise<number> {
    let created = 0;
    for (const part of chunks(items, 500)) {
      // A multi-row insert that MySQL picked as a deadlock victim was rolled back whole: retry it.
      created += await retryOnLockConflict(() => insertReminders(this.db, part, now));
    }
    return created;
  }

  /** The causes among `ruleKeys` that already have a reminder (a re-run neither duplicates nor re-asks pressure). */
  async existingCauses(ruleKeys: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    // A daily run asks about ~60k causes at 100k customers: few large IN lists (both dialects take
    // far more than 5000 parameters) rather than 120 round trips.
    for (const part of chunks([...new Set(ruleKeys)], 5000)) {
      const rows = await this.db.query<{ rule_key: string }>(
        `SELECT rule_key FROM reminders WHERE rule_key IN (${placeholders(part.length)})`, part);
      for (const r of rows) out.add(r.rule_key);
    }
    return out;
  }

  /**
   * Paid orders in (paidAfter, paidUntil] of customers with at least one active follow, each with
   * its owning rep (chooseOwner: the rep who last chatted 1:1 with the customer up to the
   * payment, else the earliest active follow) and that rep's remark for the customer.
   */
  async paidOrdersWithOwner(paidAfter: number, paidUntil: number): Promise<PaidOrder[]> {
    type Row = { external_order_id: string; external_user_id: string; product: string | null; user_id: string; remark: string | null;
      name: string | null; salutation: string | null; added_at: unknown; last_chat_at?: unknown };
    const rows = await this.db.query<Row>(
      `SELECT o.external_order_id, o.external_user_id, o.product, f.user_id, f.remark, f.added_at, c.name, p.salutation
       FROM orders o
       JOIN follows f ON f.external_user_id = o.external_user_id AND f.status = 'active'
       LEFT JOIN external_contacts c ON c.external_user_id = o.external_user_id
       LEFT JOIN customer_profiles p ON p.external_user_id = o.external_user_id
       WHERE o.amount > 0 AND o.paid_at <= ? AND o.paid_at > ?
       ORDER BY o.external_order_id`,
      [paidUntil, paidAfter]);
    const byOrder = groupRows(rows, (r) => r.external_order_id);
    // The chat decides only between several reps: an order with one active follow is that rep's,
    // so the per-rep message look-up runs for the few orders it can change.
    const shared = [...byOrder].filter(([, list]) => list.length > 1).map(([id]) => id);
    const lastChat = new Map<string, unknown>();
    for (const part of chunks(shared, 1000)) {
      const chats = await this.db.query<{ external_order_id: string; user_id: string; last_chat_at: unknown }>(
        `SELECT o.external_order_id, f.user_id,
           (SELECT MAX(m.msg_time) FROM messages m WHERE m.external_user_id = o.external_user_id AND m.user_id = f.user_id
              AND m.chat_id IS NULL AND m.msg_time <= o.paid_at) AS last_chat_at
         FROM orders o JOIN follows f ON f.external_user_id = o.external_user_id AND f.status = 'active'
         WHERE o.external_order_id IN (${placeholders(part.length)})`, part);
      for (const c of chats) lastChat.set(`${c.external_order_id}\u0000${c.user_id}`, c.last_chat_at);
    }
    const out: PaidOrder[] = [];
    for (const list of byOrder.values()) {
      const { row } = chooseOwner(list.map((r) => ({
        userId: r.user_id, lastChatAt: numOrNull(lastChat.get(`${r.external_order_id}\u0000${r.user_id}`)), addedAt: numOrNull(r.added_at), row: r,
      })))!;
      out.push({
        externalOrderId: row.external_order_id, externalUserId: row.external_user_id, product: row.product,
        ownerUserId: row.user_id, remark: row.remark, name: row.name, salutation: row.salutation,
      });
    }
    return out;
  }

  /**
   * What the care rules read, for every customer with an active follow (ids absent) or for these
   * customers: stored tier and stage, 1:1 facts, last care touch, paid orders, attributes and
   * confirmed complaints. A fixed number of narrow statements (whole-table scans for a full run,
   * IN lists in chunks of 1000 otherwise), never one per customer.
   */
  async ruleCustomers(ids?: string[]): Promise<RuleCustomer[]> {
    const parts = ids === undefined ? [null] : chunks([...new Set(ids)], 1000);
    const out: RuleCustomer[] = [];
    for (const part of parts) {
      if (part !== null && part.length === 0) continue;
      const where = (col: string) => (part === null ? '' : ` AND ${col} IN (${placeholders(part.length)})`);
      const p = part ?? [];
      const [follows, tiers, facts, care, paid, attrs, complaints] = await Promise.all([
        this.db.query<{ external_user_id: string; added_at: unknown }>(
          `SELECT external_user_id, MIN(added_at) AS added_at FROM follows WHERE status = 'active'${where('external_user_id')} GROUP BY external_user_id`, p),
        this.db.query<{ external_user_id: string; tier: string; stage: string }>(
          `SELECT external_user_id, tier, stage FROM customer_tiers WHERE 1 = 1${where('external_user_id')}`, p),
        this.db.query<{ external_user_id: string; last_inbound_at: unknown; last_outbound_at: unknown; unanswered_since: unknown }>(
          `SELECT external_user_id, last_inbound_at, last_outbound_at, unanswered_since FROM customer_facts WHERE 1 = 1${where('external_user_id')}`, p),
        this.db.query<{ external_user_id: string; at: unknown }>(
          `SELECT external_user_id, MAX(at) AS at FROM touches WHERE category = 'care'${where('external_user_id')} GROUP BY external_user_id`, p),
        this.db.query<{ external_user_id: string; first_at: unknown; last_at: unknown }>(
          `SELECT external_user_id, MIN(paid_at) AS first_at, MAX(paid_at) AS last_at FROM orders
           WHERE amount > 0 AND external_user_id IS NOT NULL${where('external_user_id')} GROUP BY external_user_id`, p),
        this.db.query<{ external_user_id: string; birthday_month: unknown; birthday_day: unknown; anniversary: string | null }>(
          `SELECT external_user_id, birthday_month, birthday_day, anniversary FROM customer_attributes WHERE 1 = 1${where('external_user_id')}`, p),
        this.db.query<{ id: unknown; external_user_id: string; confirmed_at: unknown; opened_at: unknown }>(
          `SELECT id, external_user_id, confirmed_at, opened_at FROM complaints WHERE status = 'confirmed'${where('external_user_id')}`, p),
      ]);
      const byId = <R extends { external_user_id: string }>(rows: R[]) => new Map(rows.map((r) => [r.external_user_id, r]));
      const [t, f, c, o, a] = [byId(tiers), byId(facts), byId(care), byId(paid), byId(attrs)];
      const open = new Map<string, { id: string; confirmedAt: number }[]>();
      for (const k of complaints) {
        const list = open.get(k.external_user_id) ?? [];
        list.push({ id: String(k.id), confirmedAt: numOrNull(k.confirmed_at) ?? num(k.opened_at) });
        open.set(k.external_user_id, list);
      }
      for (const row of follows) {
        const id = row.external_user_id;
        const fact = f.get(id);
        const attr = a.get(id);
        const bm = numOrNull(attr?.birthday_month);
        const bd = numOrNull(attr?.birthday_day);
        const ann = attr?.anniversary ? attr.anniversary.split('-').map(Number) : null;
        out.push({
          externalUserId: id, tier: t.get(id)?.tier ?? null, stage: t.get(id)?.stage ?? null, addedAt: numOrNull(row.added_at),
          lastInboundAt: numOrNull(fact?.last_inbound_at), lastOutboundAt: numOrNull(fact?.last_outbound_at),
          unansweredSince: numOrNull(fact?.unanswered_since), lastCareAt: numOrNull(c.get(id)?.at),
          firstPaidAt: numOrNull(o.get(id)?.first_at), lastPaidAt: numOrNull(o.get(id)?.last_at),
          birthday: bm !== null && bd !== null ? { month: bm, day: bd } : null,
          anniversary: ann ? { year: ann[0], month: ann[1], day: ann[2] } : null,
          complaints: open.get(id) ?? [],
        });
      }
    }
    return out;
  }

  /**
   * Customers the minute-grained rules may concern: someone is waiting for a reply, or a
   * complaint is confirmed. Read through customer_facts' unanswered_since index, not a full scan.
   */
  async serviceCandidates(): Promise<string[]> {
    const [waiting, complaints] = await Promise.all([
      this.db.query<{ external_user_id: string }>('SELECT external_user_id FROM customer_facts WHERE unanswered_since IS NOT NULL'),
      this.db.query<{ external_user_id: string }>("SELECT DISTINCT external_user_id FROM complaints WHERE status = 'confirmed'"),
    ]);
    return [...new Set([...waiting, ...complaints].map((r) => r.external_user_id))];
  }

  /**
   * The owning rep of a cause that is not an order, per customer, among the active follows: the
   * rep who last chatted 1:1 with the customer up to `at` (either direction), else the earliest
   * active follow (chooseOwner) — with that rep's remark and the customer's WeCom name.
   */
  async ownersOf(ids: string[], at: number): Promise<Map<string, { userId: string; remark: string | null; name: string | null; salutation?: string | null }>> {
    const out = new Map<string, { userId: string; remark: string | null; name: string | null; salutation?: string | null }>();
    for (const part of chunks([...new Set(ids)], 1000)) {
      const rows = await this.db.query<{ external_user_id: string; user_id: string; remark: string | null; name: string | null; salutation: string | null; added_at: unknown }>(
        `SELECT f.external_user_id, f.user_id, f.remark, f.added_at, c.name, p.salutation
         FROM follows f LEFT JOIN external_contacts c ON c.external_user_id = f.external_user_id
         LEFT JOIN customer_profiles p ON p.external_user_id = f.external_user_id
         WHERE f.status = 'active' AND f.external_user_id IN (${placeholders(part.length)})`, part);
      const byCustomer = groupRows(rows, (r) => r.external_user_id);
      // The chat decides only between several reps (most customers have one): their latest 1:1
      // message per rep in one grouped statement, instead of a sub-query per follow.
      const shared = [...byCustomer].filter(([, list]) => list.length > 1).map(([id]) => id);
      const lastChat = new Map<string, unknown>();
      if (shared.length) {
        const chats = await this.db.query<{ external_user_id: string; user_id: string; last_chat_at: unknown }>(
          `SELECT external_user_id, user_id, MAX(msg_time) AS last_chat_at FROM messages
           WHERE external_user_id IN (${placeholders(shared.length)}) AND chat_id IS NULL AND msg_time <= ?
           GROUP BY external_user_id, user_id`, [...shared, at]);
        for (const c of chats) lastChat.set(`${c.external_user_id}\u0000${c.user_id}`, c.last_chat_at);
      }
      for (const [id, list] of byCustomer) {
        const o = chooseOwner(list.map((r) => ({
          userId: r.user_id, lastChatAt: numOrNull(lastChat.get(`${id}\u0000${r.user_id}`)), addedAt: numOrNull(r.added_at), remark: r.remark, name: r.name,
          salutation: r.salutation,
        })))!;
        out.set(id, { userId: o.userId, remark: o.remark, name: o.name, salutation: o.salutation });
      }
    }
    return out;
  }

  /** The product of each customer's latest paid order (a wake-up asks how it is going). */
  async lastProducts(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, { at: number; product: string }>();
    for (const part of chunks([...new Set(ids)], 1000)) {
      const rows = await this.db.query<{ external_user_id: string; product: string | null; paid_at: unknown }>(
        `SELECT external_user_id, product, paid_at FROM orders WHERE amount > 0 AND product IS NOT NULL
           AND external_user_id IN (${placeholders(part.length)})`, part);
      for (const r of rows) {
        const at = num(r.paid_at);
        const cur = out.get(r.external_user_id);
        if (!cur || at > cur.at) out.set(r.external_user_id, { at, product: r.product! });
      }
    }
    return new Map([...out].map(([id, v]) => [id, v.product]));
  }

  /** Customers among `ids` with an open proactive care reminder (a revisit would only repeat it). */
  async withOpenCare(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks([...new Set(ids)], 1000)) {
      const rows = await this.db.query<{ external_user_id: string }>(
        `SELECT DISTINCT external_user_id FROM reminders WHERE status = 'open' AND kind NOT IN ('unanswered_reply', 'complaint_follow_up')
           AND external_user_id IN (${placeholders(part.length)})`, part);
      for (const r of rows) out.add(r.external_user_id);
    }
    return out;
  }

  /**
   * Closes the open reminders of relations that ended (the customer deleted the rep, the rep
   * deleted the customer, a transfer, a relation the sync found gone), with how it ended as the
   * reason. The event handler closes them as the deletion is processed (closeForEndedRelation);
   * this catches the rest (a relation ended by the reconcile, reminders made before this rule).
   */
  async closeEndedRelations(now: number): Promise<number> {
    const same = 'f.user_id = reminders.user_id AND f.external_user_id = reminders.external_user_id';
    return this.db.exec(
      `UPDATE reminders SET status = 'closed', closed_at = ?, updated_at = ?,
         closed_reason = (SELECT COALESCE(f.ended_by, 'ended') FROM follows f WHERE ${same})
       WHERE status = 'open' AND EXISTS (SELECT 1 FROM follows f WHERE ${same} AND f.status = 'ended')`, [now, now]);
  }

  async openFor(externalUserId: string, userIds: string[]): Promise<SidebarReminder[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT * FROM reminders WHERE external_user_id = ? AND status = 'open' AND user_id IN (${placeholders(userIds.length)})
       ORDER BY due_at, id`, [externalUserId, ...userIds]);
    return rows.map(toReminder);
  }

  async find(id: string): Promise<SidebarReminder | null> {
    const rows = await this.db.query<Record<string, unknown>>(`SELECT * FROM reminders WHERE id = ?`, [Number(id) || 0]);
    return rows[0] ? toReminder(rows[0]) : null;
  }

  async done(id: string, byUserId: string, now: Date): Promise<void> {
    await this.db.exec(`UPDATE reminders SET status = 'done', done_at = ?, done_by = ?, updated_at = ? WHERE id = ? AND status = 'open'`,
      [now.getTime(), byUserId, now.getTime(), Number(id)]);
  }

  async snooze(id: string, _byUserId: string, until: Date, now: Date): Promise<void> {
    await this.db.exec(`UPDATE reminders SET due_at = ?, snoozes = snoozes + 1, updated_at = ? WHERE id = ? AND status = 'open'`,
      [until.getTime(), now.getTime(), Number(id)]);
  }

  /** Open reminders already past due (the digest's "overdue reminders"). */
  async countOverdue(now: number): Promise<number> {
    const [r] = await this.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM reminders WHERE status = 'open' AND due_at < ?`, [now]);
    return num(r.n);
  }
}

/**
 * Inserts reminders whose cause has none yet (the unique cause keeps the first); returns how many
 * were new. `create` in batches, or inside a caller's transaction (a follow-up record and the
 * reminder it plans land together).
 */
export function insertReminders(db: Sql, items: NewReminder[], now: number): Promise<number> {
  return insertIgnoringDuplicates(db, 'reminders',
    ['external_user_id', 'user_id', 'kind', 'rule_key', 'title', 'message', 'reason', 'due_at', 'status', 'created_at', 'updated_at'],
    items.map((r) => [r.externalUserId, r.userId, r.kind, r.ruleKey, r.title, r.message, r.reason ?? null, r.dueAt, 'open', now, now]),
    ['rule_key']);
}

function groupRows<R>(rows: R[], key: (r: R) => string): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

function toReminder(r: Record<string, unknown>): SidebarReminder {
  return {
    id: String(r.id), externalUserId: String(r.external_user_id), userId: String(r.user_id), title: String(r.title),
    dueAt: new Date(num(r.due_at)), message: (r.message as string | null) ?? null, kind: (r.kind as string | null) ?? null,
  };
}

/**
 * Closes the open reminders of one relation as it ends, in the transaction that ends it (the
 * follow-ended handlers in contacts/handlers.ts): the rep is not reminded about a customer who
 * deleted them, not even until the next care run.
 */
export async function closeForEndedRelation(tx: Sql, userId: string, externalUserId: string, endedBy: string, now: number): Promise<number> {
  return tx.exec(
    `UPDATE reminders SET status = 'closed', closed_at = ?, closed_reason = ?, updated_at = ?
     WHERE user_id = ? AND external_user_id = ? AND status = 'open'`, [now, endedBy, now, userId, externalUserId]);
}

/**
 * Stores imported attributes, idempotently: a field left out keeps its value, the same batch
 * twice changes nothing the second time. Each batch in one transaction; rows are created first
 * and then locked in key order, so two imports of overlapping customers cannot deadlock.
 */
export async function upsertCustomerAttributes(
  db: Database, items: AttributeInput[], source: 'api' | 'csv' | 'sidebar', now: number,
): Promise<{ created: number; updated: number; unchanged: number }> {
  const totals = { created: 0, updated: 0, unchanged: 0 };
  for (const part of chunks(items, 500)) {
    const t = await retryOnLockConflict(() => db.transaction(async (tx) => {
      const totals = { created: 0, updated: 0, unchanged: 0 };
      const ids = part.map((i) => i.externalUserId).sort();
      const existing = new Set((await tx.query<{ external_user_id: string }>(
        `SELECT external_user_id FROM customer_attributes WHERE external_user_id IN (${placeholders(ids.length)})`, ids)).map((r) => r.external_user_id));
      await insertIgnoringDuplicates(tx, 'customer_attributes', ['external_user_id', 'source', 'created_at', 'updated_at'],
        ids.filter((id) => !existing.has(id)).map((id) => [id, source, now, now]), ['external_user_id']);
      const rows = await tx.query<{ external_user_id: string; birthday_month: unknown; birthday_day: unknown; birthday_year: unknown; anniversary: string | null }>(
        `SELECT external_user_id, birthday_month, birthday_day, birthday_year, anniversary FROM customer_attributes
         WHERE external_user_id IN (${placeholders(ids.length)}) ORDER BY external_user_id${tx.dialect === 'mysql' ? ' FOR UPDATE' : ''}`, ids);
      const stored = new Map(rows.map((r) => [r.external_user_id, r]));
      for (const item of part) {
        const r = stored.get(item.externalUserId)!;
        const cur = { m: numOrNull(r.birthday_month), d: numOrNull(r.birthday_day), y: numOrNull(r.birthday_year), a: r.anniversary ?? null };
        const next = { ...cur };
        if (item.birthday !== undefined) Object.assign(next, item.birthday === null ? { m: null, d: null, y: null } : { m: item.birthday.month, d: item.birthday.day, y: item.birthday.year });
        if (item.anniversary !== undefined) next.a = item.anniversary;
        if (next.m === cur.m && next.d === cur.d && next.y === cur.y && next.a === cur.a) {
          totals.unchanged++;
          continue;
        }
        await tx.exec(`UPDATE customer_attributes SET birthday_month = ?, birthday_day = ?, birthday_year = ?, anniversary = ?, source = ?, updated_at = ?
          WHERE external_user_id = ?`, [next.m, next.d, next.y, next.a, source, now, item.externalUserId]);
        if (existing.has(item.externalUserId)) totals.updated++;
        else totals.created++;
      }
      return totals;
    }));
    totals.created += t.created;
    totals.updated += t.updated;
    totals.unchanged += t.unchanged;
  }
  return totals;
}
