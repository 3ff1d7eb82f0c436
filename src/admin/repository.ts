import type { Sql } from '../db/database';
import { num, numOrNull } from '../db/sql';

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  ip: string;
  action: string;
  target: string | null;
  detail: string | null;
  /** What the change replaced and what it wrote, as JSON values (null: nothing before, or not recorded). */
  before?: unknown;
  after?: unknown;
}

export interface ErrcodeCount {
  errcode: number | null;
  status: string;
  count: number;
  lastAt: number;
}

/** A planned touch of next week, as the what-if judges it. */
export interface PlannedTouch {
  externalUserId: string;
  at: number;
  /** Campaign category ('marketing' | 'care'), 'care' for reminders. */
  category: string;
}

const AUDIT_JSON_LIMIT = 60_000;

function json(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const text = JSON.stringify(v);
  // An audit row must never fail the change it records: a huge value is cut and says so.
  return text.length > AUDIT_JSON_LIMIT ? JSON.stringify({ truncated: true, start: text.slice(0, AUDIT_JSON_LIMIT - 100) }) : text;
}

function parsed(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  try {
    return JSON.parse(String(v)) as unknown;
  } catch {
    return null;
  }
}

/** SQL of the operators' console: its audit trail, and the reads its pages and what-if need. */
export class AdminRepository {
  constructor(private readonly db: Sql) {}

  async audit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.db.exec(
      'INSERT INTO admin_audit (at, actor, ip, action, target, detail, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [e.at, e.actor.slice(0, 128), e.ip.slice(0, 64), e.action.slice(0, 64), e.target?.slice(0, 128) ?? null, e.detail?.slice(0, 4000) ?? null,
        json(e.before), json(e.after)]);
  }

  /** Newest first; `beforeId` pages back (ids grow with time). */
  async auditLog(limit: number, beforeId?: number): Promise<AuditEntry[]> {
    const where = beforeId === undefined ? '' : 'WHERE id < ?';
    const rows = await this.db.query(
      `SELECT id, at, actor, ip, action, target, detail, before_json, after_json FROM admin_audit ${where} ORDER BY id DESC LIMIT ${Math.floor(limit)}`,
      beforeId === undefined ? [] : [beforeId]);
    return rows.map((r) => ({
      id: num(r.id), at: num(r.at), actor: String(r.actor), ip: String(r.ip), action: String(r.action),
      target: (r.target as string | null) ?? null, detail: (r.detail as string | null) ?? null,
      before: parsed(r.before_json), after: parsed(r.after_json),
    }));
  }

  /** The member's display name from the synced directory ('' when not synced yet). */
  async memberName(userId: string): Promise<string> {
    const [r] = await this.db.query<{ name: unknown }>('SELECT name FROM members WHERE user_id = ?', [userId]);
    return r ? String(r.name ?? '') : '';
  }

  /** Campaign ids newest first, optionally of one status. */
  async campaignIds(o: { status?: string; limit: number }): Promise<number[]> {
    const rows = await this.db.query(`SELECT id FROM campaigns ${o.status ? 'WHERE status = ?' : ''} ORDER BY id DESC LIMIT ${Math.max(1, Math.floor(o.limit))}`,
      o.status ? [o.status] : []);
    return rows.map((r) => num(r.id));
  }

  /**
   * Moves a one-time group post nothing has been decided for yet; false when it is no longer such a
   * post (the job decided it, or someone cancelled it, meanwhile): the guard is in the statement.
   */
  async moveGroupPost(id: number, schedule: unknown, at: number, now: number): Promise<boolean> {
    return (await this.db.exec(
      `UPDATE group_posts SET schedule = ?, first_at = ?, last_at = ?, updated_at = ? WHERE id = ? AND status = 'active' AND decided_through IS NULL
       AND NOT EXISTS (SELECT 1 FROM group_post_sends s WHERE s.post_id = group_posts.id)`,
      [JSON.stringify(schedule), at, at, now, id])) === 1;
  }

  /** external_contacts ids after `afterId`, in id order (what-if walks every customer). */
  async customersAfter(afterId: number, limit: number): Promise<{ id: number; externalUserId: string }[]> {
    const rows = await this.db.query('SELECT id, external_user_id FROM external_contacts WHERE id > ? ORDER BY id LIMIT ?', [afterId, limit]);
    return rows.map((r) => ({ id: num(r.id), externalUserId: String(r.external_user_id) }));
  }

  /** Open reminders due in [from, to). */
  async remindersDue(from: number, to: number): Promise<PlannedTouch[]> {
    const rows = await this.db.query("SELECT external_user_id, due_at FROM reminders WHERE status = 'open' AND due_at >= ? AND due_at < ?", [from, to]);
    return rows.map((r) => ({ externalUserId: String(r.external_user_id), at: num(r.due_at), category: 'care' }));
  }

  /** Customers of approved campaigns whose batch is still planned to send in [from, to). */
  async campaignSendsDue(from: number, to: number): Promise<PlannedTouch[]> {
    const rows = await this.db.query(
      `SELECT r.external_user_id, b.send_at, c.category FROM campaign_batches b
       JOIN campaigns c ON c.id = b.campaign_id
       JOIN campaign_recipients r ON r.campaign_id = b.campaign_id AND r.batch_no = b.batch_no
       WHERE b.status = 'planned' AND c.status = 'approved' AND b.send_at >= ? AND b.send_at < ? AND r.decision IN ('admitted', 'deferred')`, [from, to]);
    return rows.map((r) => ({ externalUserId: String(r.external_user_id), at: num(r.send_at), category: String(r.category) }));
  }

  /**
   * Outbox intents that ended failed or unknown since `since`, by WeCom errcode (null: no errcode,
   * e.g. a timeout whose outcome is unknown). updated_at is when the outcome was written.
   */
  async outboxFailuresByErrcode(since: number): Promise<ErrcodeCount[]> {
    const rows = await this.db.query(
      `SELECT errcode, status, COUNT(*) AS n, MAX(updated_at) AS last_at FROM outbox_intents
       WHERE status IN ('failed', 'unknown') AND updated_at >= ? GROUP BY errcode, status ORDER BY n DESC, errcode`, [since]);
    return rows.map((r) => ({ errcode: numOrNull(r.errcode), status: String(r.status), count: num(r.n), lastAt: num(r.last_at) }));
  }
}
