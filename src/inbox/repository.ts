import type { Database, Sql } from '../db/database';
import { insertIgnoringDuplicates, num, numOrNull, placeholders, retryOnLockConflict } from '../db/sql';

export type InboxStatus = 'pending' | 'processing' | 'done' | 'dead';

export interface NewInboxRow {
  dedupeKey: string;
  kind: string;
  orderKey: string | null;
  payload: string;
  eventTime: number;
  receivedAt: number;
}

export interface InboxRow extends NewInboxRow {
  id: number;
  status: InboxStatus;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  processedAt: number | null;
}

const COLUMNS = 'id, dedupe_key, kind, order_key, payload, event_time, received_at, status, attempts, next_attempt_at, lease_owner, lease_until, last_error, processed_at';

/** Every SQL statement that touches inbox_events. */
export class InboxRepository {
  constructor(private readonly db: Database) {}

  /** received_at of each stored key: tells which rows of a batch were ours and which already existed. */
  async receivedAtByKey(keys: string[]): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db.query<{ dedupe_key: string; received_at: unknown }>(
      `SELECT dedupe_key, received_at FROM inbox_events WHERE dedupe_key IN (${placeholders(keys.length)})`, keys);
    return new Map(rows.map((r) => [r.dedupe_key, num(r.received_at)]));
  }

  /** Inserts new events; rows whose dedupe key already exists are skipped. Returns rows inserted. */
  async insertMany(rows: NewInboxRow[]): Promise<number> {
    return insertIgnoringDuplicates(
      this.db, 'inbox_events',
      ['dedupe_key', 'kind', 'order_key', 'payload', 'event_time', 'received_at', 'status', 'attempts', 'next_attempt_at'],
      rows.map((r) => [r.dedupeKey, r.kind, r.orderKey, r.payload, r.eventTime, r.receivedAt, 'pending', 0, r.receivedAt]),
      ['dedupe_key'],
    );
  }

  /**
   * Claims up to `limit` due events for `owner` until `leaseUntil`. An event is due when pending
   * and its retry time has come, or when its previous claimer's lease ran out (crashed worker).
   * Only the oldest unfinished event of each order key is claimable, so one customer's events are
   * handled in arrival order. On MariaDB rows are locked with FOR UPDATE SKIP LOCKED so racing
   * instances claim disjoint sets; SQLite serialises writers, and the status re-check in the
   * UPDATE makes a lost race claim nothing.
   */
  async claim(owner: string, now: number, leaseUntil: number, limit: number): Promise<InboxRow[]> {
    const mysql = this.db.dialect === 'mysql';
    const due = `((status = 'pending' AND next_attempt_at <= ?) OR (status = 'processing' AND lease_until <= ?))`;
    // A claim that loses a deadlock to another instance's claim was rolled back whole: try again.
    const ids = await retryOnLockConflict(() => this.db.transaction(async (tx) => {
      const candidates = await tx.query<{ id: unknown; order_key: string | null }>(
        `SELECT id, order_key FROM inbox_events WHERE ${due} ORDER BY id LIMIT ?${mysql ? ' FOR UPDATE SKIP LOCKED' : ''}`,
        [now, now, limit],
      );
      if (candidates.length === 0) return [];
      const firstByKey = await this.firstUnfinishedByKey(tx, candidates.map((c) => c.order_key).filter((k): k is string => k !== null));
      const chosen: number[] = [];
      const seen = new Set<string>();
      for (const c of candidates) {
        const id = num(c.id);
        if (c.order_key !== null) {
          if (seen.has(c.order_key) || firstByKey.get(c.order_key) !== id) continue;
          seen.add(c.order_key);
        }
        chosen.push(id);
      }
      if (chosen.length === 0) return [];
      // On MariaDB the rows are ours (locked above): update them by primary key alone, so the
      // statement takes no range locks on the status index that another claim could deadlock on.
      // SQLite took no row locks, so there the UPDATE re-checks that each row is still due.
      const claimed = await tx.exec(
        `UPDATE inbox_events SET status = 'processing', lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE id IN (${placeholders(chosen.length)})${mysql ? '' : ` AND ${due}`}`,
        [owner, leaseUntil, ...chosen, ...(mysql ? [] : [now, now])]);
      if (claimed !== chosen.length) {
        // Another instance claimed some of them between our read and write (SQLite only);
        // keep exactly the rows that now carry our lease.
        const mine = await tx.query<{ id: unknown }>(
          `SELECT id FROM inbox_events WHERE id IN (${placeholders(chosen.length)}) AND lease_owner = ? AND lease_until = ? AND status = 'processing'`,
          [...chosen, owner, leaseUntil]);
        return mine.map((r) => num(r.id));
      }
      return chosen;
    }));
    if (ids.length === 0) return [];
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM inbox_events WHERE id IN (${placeholders(ids.length)}) ORDER BY id`, ids);
    return rows.map(toRow);
  }

  /** A plain (non-locking) read: conservative, since an unfinished row stays unfinished in any snapshot. */
  private async firstUnfinishedByKey(tx: Sql, keys: string[]): Promise<Map<string, number>> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return new Map();
    const rows = await tx.query<{ order_key: string; first_id: unknown }>(
      `SELECT order_key, MIN(id) AS first_id FROM inbox_events
       WHERE order_key IN (${placeholders(unique.length)}) AND status IN ('pending', 'processing') GROUP BY order_key`,
      unique);
    return new Map(rows.map((r) => [r.order_key, num(r.first_id)]));
  }

  /** Marks done only if we still hold the lease; false means another instance took over. */
  async markDone(id: number, owner: string, now: number): Promise<boolean> {
    const changed = await this.db.exec(
      `UPDATE inbox_events SET status = 'done', processed_at = ?, lease_owner = NULL, lease_until = NULL, last_error = NULL
       WHERE id = ? AND lease_owner = ? AND status = 'processing'`, [now, id, owner]);
    return changed === 1;
  }

  /** Schedules a retry at `retryAt`, or parks the event as dead when `retryAt` is null. */
  async markFailed(id: number, owner: string, error: string, retryAt: number | null): Promise<void> {
    await this.db.exec(
      `UPDATE inbox_events SET status = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
       WHERE id = ? AND lease_owner = ? AND status = 'processing'`,
      [retryAt === null ? 'dead' : 'pending', retryAt ?? 0, error.slice(0, 4000), id, owner]);
  }

  async list(filter: { status?: InboxStatus; limit: number }): Promise<InboxRow[]> {
    const where = filter.status ? 'WHERE status = ?' : '';
    const params: unknown[] = filter.status ? [filter.status, filter.limit] : [filter.limit];
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM inbox_events ${where} ORDER BY id DESC LIMIT ?`, params);
    return rows.map(toRow);
  }

  async get(id: number): Promise<InboxRow | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM inbox_events WHERE id = ?`, [id]);
    return rows.length ? toRow(rows[0]) : null;
  }

  async findByDedupeKey(key: string): Promise<InboxRow | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM inbox_events WHERE dedupe_key = ?`, [key]);
    return rows.length ? toRow(rows[0]) : null;
  }

  /** Puts a dead event back in the queue with a fresh set of attempts. */
  async retry(id: number, now: number): Promise<boolean> {
    const changed = await this.db.exec(
      `UPDATE inbox_events SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND status = 'dead'`, [now, id]);
    return changed === 1;
  }

  async countsByStatus(): Promise<Record<InboxStatus, number>> {
    const rows = await this.db.query<{ status: InboxStatus; n: unknown }>(
      `SELECT status, COUNT(*) AS n FROM inbox_events GROUP BY status`);
    const out: Record<InboxStatus, number> = { pending: 0, processing: 0, done: 0, dead: 0 };
    for (const r of rows) out[r.status] = num(r.n);
    return out;
  }

  async oldestUnfinishedReceivedAt(): Promise<number | null> {
    const rows = await this.db.query(`SELECT MIN(received_at) AS t FROM inbox_events WHERE status IN ('pending', 'processing')`);
    return numOrNull(rows[0]?.t);
  }

  /** Removes processed events older than `before`; the typed record in wecom_events stays. */
  async pruneDone(before: number): Promise<number> {
    return this.db.exec(`DELETE FROM inbox_events WHERE status = 'done' AND processed_at < ?`, [before]);
  }
}

function toRow(r: Record<string, unknown>): InboxRow {
  return {
    id: num(r.id),
    dedupeKey: r.dedupe_key as string,
    kind: r.kind as string,
    orderKey: (r.order_key as string | null) ?? null,
    payload: r.payload as string,
    eventTime: num(r.event_time),
    receivedAt: num(r.received_at),
    status: r.status as InboxStatus,
    attempts: num(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseUntil: numOrNull(r.lease_until),
    lastError: (r.last_error as string | null) ?? null,
    processedAt: numOrNull(r.processed_at),
  };
}
