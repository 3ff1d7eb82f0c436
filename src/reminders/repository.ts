import type { Database } from '../db/database';
import { chunks, insertIgnoringDuplicates, num, numOrNull, placeholders, retryOnLockConflict } from '../db/sql';
import type { ReminderSource, SidebarReminder } from '../sidebar-api/reminders-port';
import { chooseOwner, type OwnerCandidate } from './owner';

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
      created += await retryOnLockConflict(() => insertIgnoringDuplicates(this.db, 'reminders',
        ['external_user_id', 'user_id', 'kind', 'rule_key', 'title', 'message', 'due_at', 'status', 'created_at', 'updated_at'],
        part.map((r) => [r.externalUserId, r.userId, r.kind, r.ruleKey, r.title, r.message, r.dueAt, 'open', now, now]),
        ['rule_key']));
    }
    return created;
  }

  /** The causes among `ruleKeys` that already have a reminder (a re-run neither duplicates nor re-asks pressure). */
  async existingCauses(ruleKeys: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks([...new Set(ruleKeys)], 500)) {
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
    const rows = await this.db.query<{
      external_order_id: string; external_user_id: string; product: string | null; user_id: string; remark: string | null;
      name: string | null; added_at: unknown; last_chat_at: unknown;
    }>(
      `SELECT o.external_order_id, o.external_user_id, o.product, f.user_id, f.remark, f.added_at, c.name,
         (SELECT MAX(m.msg_time) FROM messages m WHERE m.external_user_id = o.external_user_id AND m.user_id = f.user_id
            AND m.chat_id IS NULL AND m.msg_time <= o.paid_at) AS last_chat_at
       FROM orders o
       JOIN follows f ON f.external_user_id = o.external_user_id AND f.status = 'active'
       LEFT JOIN external_contacts c ON c.external_user_id = o.external_user_id
       WHERE o.amount > 0 AND o.paid_at <= ? AND o.paid_at > ?
       ORDER BY o.external_order_id`,
      [paidUntil, paidAfter]);
    const byOrder = new Map<string, (OwnerCandidate & { row: (typeof rows)[number] })[]>();
    for (const r of rows) {
      const list = byOrder.get(r.external_order_id) ?? [];
      list.push({ userId: r.user_id, lastChatAt: numOrNull(r.last_chat_at), addedAt: numOrNull(r.added_at), row: r });
      byOrder.set(r.external_order_id, list);
    }
    const out: PaidOrder[] = [];
    for (const candidates of byOrder.values()) {
      const { row } = chooseOwner(candidates)!;
      out.push({
        externalOrderId: row.external_order_id, externalUserId: row.external_user_id, product: row.product,
        ownerUserId: row.user_id, remark: row.remark, name: row.name,
      });
    }
    return out;
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

function toReminder(r: Record<string, unknown>): SidebarReminder {
  return {
    id: String(r.id), externalUserId: String(r.external_user_id), userId: String(r.user_id), title: String(r.title),
    dueAt: new Date(num(r.due_at)), message: (r.message as string | null) ?? null, kind: (r.kind as string | null) ?? null,
  };
}
