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
}

export interface ErrcodeCount {
  errcode: number | null;
  status: string;
  count: number;
  lastAt: number;
}

/** SQL of the operators' console: its audit trail, and the outbox failure read it shows. */
export class AdminRepository {
  constructor(private readonly db: Sql) {}

  async audit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.db.exec(
      'INSERT INTO admin_audit (at, actor, ip, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)',
      [e.at, e.actor.slice(0, 128), e.ip.slice(0, 64), e.action.slice(0, 64), e.target?.slice(0, 128) ?? null, e.detail?.slice(0, 4000) ?? null]);
  }

  /** Newest first. */
  async auditLog(limit: number): Promise<AuditEntry[]> {
    const rows = await this.db.query(`SELECT id, at, actor, ip, action, target, detail FROM admin_audit ORDER BY at DESC, id DESC LIMIT ${Math.floor(limit)}`);
    return rows.map((r) => ({
      id: num(r.id), at: num(r.at), actor: String(r.actor), ip: String(r.ip), action: String(r.action),
      target: (r.target as string | null) ?? null, detail: (r.detail as string | null) ?? null,
    }));
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
