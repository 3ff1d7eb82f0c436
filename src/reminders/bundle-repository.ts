import type { Sql } from '../db/database';
import { chunks, num, numOrNull, placeholders } from '../db/sql';

/**
 * The SQL of reminder delivery: what a rep's bundle lists, what a card shows after a tap, the
 * sidebar's "my reminders" list, and the rep's done / snooze / skip written on the caller's
 * transaction (so a card update is enqueued with the change that it shows).
 */

/** One reminder as a bundle, a card or the list shows it. */
export interface BundleItem {
  id: number;
  userId: string;
  externalUserId: string;
  kind: string;
  title: string;
  message: string | null;
  reason: string | null;
  dueAt: number;
  status: string;
  doneAt: number | null;
  closedReason: string | null;
  /** The rep's remark for the customer (private: only its salutation part is shown). */
  remark: string | null;
  /** The customer's WeCom name. */
  name: string | null;
  /** The 称呼 a rep set in the sidebar (customer_profiles): it addresses the customer first. */
  salutation: string | null;
}

const SELECT = `SELECT r.id, r.user_id, r.external_user_id, r.kind, r.title, r.message, r.reason, r.due_at, r.status, r.done_at, r.closed_reason,
    f.remark, c.name, p.salutation
  FROM reminders r
  LEFT JOIN follows f ON f.user_id = r.user_id AND f.external_user_id = r.external_user_id
  LEFT JOIN external_contacts c ON c.external_user_id = r.external_user_id
  LEFT JOIN customer_profiles p ON p.external_user_id = r.external_user_id`;

function toItem(r: Record<string, unknown>): BundleItem {
  return {
    id: num(r.id), userId: String(r.user_id), externalUserId: String(r.external_user_id), kind: String(r.kind), title: String(r.title),
    message: (r.message as string | null) ?? null, reason: (r.reason as string | null) ?? null, dueAt: num(r.due_at), status: String(r.status),
    doneAt: numOrNull(r.done_at), closedReason: (r.closed_reason as string | null) ?? null,
    remark: (r.remark as string | null) ?? null, name: (r.name as string | null) ?? null, salutation: (r.salutation as string | null) ?? null,
  };
}

/**
 * Open reminders due at or before `dueBy` of every rep still in the corp (a member who left gets
 * no bundle: WeCom would refuse it), earliest due first per rep.
 */
export async function openDueByRep(db: Sql, dueBy: number): Promise<Map<string, BundleItem[]>> {
  const rows = await db.query<Record<string, unknown>>(
    `${SELECT}
     WHERE r.status = 'open' AND r.due_at <= ?
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.user_id = r.user_id AND m.status = 'left')
     ORDER BY r.user_id, r.due_at, r.id`, [dueBy]);
  const out = new Map<string, BundleItem[]>();
  for (const r of rows.map(toItem)) (out.get(r.userId) ?? out.set(r.userId, []).get(r.userId)!).push(r);
  return out;
}

/** These reminders, whatever their state, in the order of `ids`. */
export async function itemsByIds(db: Sql, ids: number[]): Promise<BundleItem[]> {
  const byId = new Map<number, BundleItem>();
  for (const part of chunks([...new Set(ids)], 500)) {
    const rows = await db.query<Record<string, unknown>>(`${SELECT} WHERE r.id IN (${placeholders(part.length)})`, part);
    for (const r of rows.map(toItem)) byId.set(r.id, r);
  }
  return ids.map((id) => byId.get(id)).filter((x): x is BundleItem => x !== undefined);
}

/** How many open reminders of the rep are due by `dueBy` besides `except` (a card's "还有 M 条"). */
export async function countOpenDue(db: Sql, userId: string, dueBy: number, except: number[]): Promise<number> {
  const not = except.length ? ` AND id NOT IN (${placeholders(except.length)})` : '';
  const [r] = await db.query<{ n: unknown }>(
    `SELECT COUNT(*) AS n FROM reminders WHERE user_id = ? AND status = 'open' AND due_at <= ?${not}`, [userId, dueBy, ...except]);
  return num(r.n);
}

/** The rep's open reminders due before `dueBefore` (today's and overdue), earliest first. */
export async function openOfRep(db: Sql, userId: string, dueBefore: number, limit: number): Promise<BundleItem[]> {
  const rows = await db.query<Record<string, unknown>>(
    `${SELECT} WHERE r.user_id = ? AND r.status = 'open' AND r.due_at < ? ORDER BY r.due_at, r.id LIMIT ${Math.max(1, Math.floor(limit))}`,
    [userId, dueBefore]);
  return rows.map(toItem);
}

/** Done by the rep; false when it was no longer open (done twice, closed, skipped). */
export async function markDone(tx: Sql, id: number, byUserId: string, now: number): Promise<boolean> {
  return (await tx.exec(`UPDATE reminders SET status = 'done', done_at = ?, done_by = ?, updated_at = ? WHERE id = ? AND status = 'open'`,
    [now, byUserId, now, id])) > 0;
}

/**
 * Due again at `until`. Only moves it later: the same tap processed twice (an inbox retry)
 * computes the same `until` and changes nothing the second time.
 */
export async function markSnoozed(tx: Sql, id: number, until: number, now: number): Promise<boolean> {
  return (await tx.exec(`UPDATE reminders SET due_at = ?, snoozes = snoozes + 1, updated_at = ? WHERE id = ? AND status = 'open' AND due_at < ?`,
    [until, now, id, until])) > 0;
}

/** Skipped by the rep with one of the preset reasons (closed_reason); false when no longer open. */
export async function markSkipped(tx: Sql, id: number, byUserId: string, reason: string, now: number): Promise<boolean> {
  return (await tx.exec(
    `UPDATE reminders SET status = 'skipped', closed_at = ?, closed_reason = ?, done_by = ?, updated_at = ? WHERE id = ? AND status = 'open'`,
    [now, reason, byUserId, now, id])) > 0;
}
