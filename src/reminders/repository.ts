import type { Database } from '../db/database';
import { insertIgnoringDuplicates, num, placeholders } from '../db/sql';
import type { ReminderSource, SidebarReminder } from '../sidebar-api/reminders-port';

export interface NewReminder {
  externalUserId: string;
  userId: string;
  kind: string;
  /** What produced it (rule and subject, e.g. post_sale:3:SO-1006): the same key is created once. */
  ruleKey: string;
  title: string;
  message: string | null;
  dueAt: number;
}

/** Reminders in the database: what the sidebar lists, completes and snoozes. */
export class ReminderStore implements ReminderSource {
  constructor(private readonly db: Database) {}

  /** Creates reminders that do not exist yet; returns how many were new. */
  async create(items: NewReminder[], now: number): Promise<number> {
    let created = 0;
    for (let i = 0; i < items.length; i += 500) {
      created += await insertIgnoringDuplicates(this.db, 'reminders',
        ['external_user_id', 'user_id', 'kind', 'rule_key', 'title', 'message', 'due_at', 'status', 'created_at', 'updated_at'],
        items.slice(i, i + 500).map((r) => [r.externalUserId, r.userId, r.kind, r.ruleKey, r.title, r.message, r.dueAt, 'open', now, now]),
        ['rule_key', 'user_id']);
    }
    return created;
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
    dueAt: new Date(num(r.due_at)), message: (r.message as string | null) ?? null,
  };
}
