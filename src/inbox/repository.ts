import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database';
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
  /** The instance that holds (or last held) the lease, for operators. */
  leaseOwner: string | null;
  /** The current claim's own token: only its holder may renew, complete or fail the event. */
  leaseToken: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  processedAt: number | null;
  /** Non-transient failures since the event was last queued fresh. */
  failures: number;
  /** Claims whose lease ran out without an outcome (the worker died on it). */
  abandoned: number;
  firstFailedAt: number | null;
}

const COLUMNS = 'id, dedupe_key, kind, order_key, payload, event_time, received_at, status, attempts, next_attempt_at, lease_owner, lease_token, lease_until, last_error, processed_at, failures, abandoned, first_failed_at';

const REQUEUE = `status = 'pending', attempts = 0, failures = 0, abandoned = 0, first_failed_at = NULL, next_attempt_at = ?,
  lease_owner = NULL, lease_token = NULL, lease_until = NULL`;

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
   * Claims up to `limit` events that can start now, each under a fresh random token, leased
   * until `now + leaseMs`. An event is due when pending and its retry time has come, or when its
   * claimer's lease ran out (a crashed or cut-off worker). Only the head of each order key is
   * claimable: no older unfinished row of its key, and no other row of its key in flight under a
   * live lease (a row that committed late or was requeued from dead is older than one already
   * running). The rule is one SQL statement on both dialects.
   *
   * A due head whose lease ran out `maxAbandoned` times without an outcome is poison (the worker
   * died on it each time): it is parked dead instead of claimed, and returned in `parked`.
   *
   * The head rule spans rows, so row locks cannot make it safe between instances; claims are
   * serialised instead: on MariaDB by locking the one inbox_claim_lock row first (every later
   * read in the transaction then sees every earlier claim's commit), on SQLite by BEGIN IMMEDIATE.
   * The lock is held for the few milliseconds of the claim; renewals and completions, which touch
   * only rows their token owns, do not take it.
   */
  async claim(q: { instanceId: string; now: number; leaseMs: number; limit: number; maxAbandoned?: number }): Promise<{ claimed: InboxRow[]; parked: InboxRow[] }> {
    if (q.limit < 1) return { claimed: [], parked: [] };
    const mysql = this.db.dialect === 'mysql';
    const maxAbandoned = q.maxAbandoned ?? Number.POSITIVE_INFINITY;
    const result = await retryOnLockConflict(() => this.db.transaction(async (tx) => {
      if (mysql) await tx.query(`SELECT name FROM inbox_claim_lock WHERE name = 'claim' FOR UPDATE`);
      // Heads come from one pass over the covering (status, order_key) index (the id rides along
      // on both engines), never from probing each waiting row: 10,000 rows behind one head in
      // backoff cost one index range of a few milliseconds, not 10,000 subqueries (MariaDB,
      // measured: ~7 ms against ~97 ms). The NOT EXISTS keeps a key off while another of its rows
      // is in flight under a live lease.
      const heads = await tx.query<{ id: unknown; status: string; abandoned: unknown }>(
        `SELECT e.id, e.status, e.abandoned FROM (
           SELECT MIN(o.id) AS id FROM inbox_events o WHERE o.status IN ('pending', 'processing') AND o.order_key IS NOT NULL GROUP BY o.order_key
           UNION ALL
           SELECT o.id FROM inbox_events o WHERE o.status IN ('pending', 'processing') AND o.order_key IS NULL
         ) h JOIN inbox_events e ON e.id = h.id
         WHERE ((e.status = 'pending' AND e.next_attempt_at <= ?) OR (e.status = 'processing' AND e.lease_until <= ?))
           AND (e.order_key IS NULL OR NOT EXISTS (
             SELECT 1 FROM inbox_events r WHERE r.order_key = e.order_key AND r.status = 'processing' AND r.lease_until > ? AND r.id > e.id))
         ORDER BY e.id LIMIT ?`,
        [q.now, q.now, q.now, q.limit]);
      const claim: { id: number; token: string; takeover: boolean }[] = [];
      const park: number[] = [];
      for (const h of heads) {
        const takeover = h.status === 'processing';
        // This claim would be the (abandoned + 1)th to start it; the previous ones never finished.
        if (takeover && num(h.abandoned) + 1 >= maxAbandoned) park.push(num(h.id));
        else claim.push({ id: num(h.id), token: randomBytes(16).toString('hex'), takeover });
      }
      if (park.length > 0) {
        await tx.exec(
          `UPDATE inbox_events SET status = 'dead', abandoned = abandoned + 1, lease_owner = NULL, lease_until = NULL, lease_token = NULL,
             last_error = ? WHERE id IN (${placeholders(park.length)})`,
          [`claimed ${maxAbandoned} time(s) and never completed: the process may be crashing on this event`, ...park]);
      }
      // Row by row: each claim has its own token. The primary key is the only lock taken.
      for (const c of claim) {
        await tx.exec(
          `UPDATE inbox_events SET status = 'processing', lease_owner = ?, lease_token = ?, lease_until = ?, attempts = attempts + 1,
             abandoned = abandoned + ? WHERE id = ?`,
          [q.instanceId, c.token, q.now + q.leaseMs, c.takeover ? 1 : 0, c.id]);
      }
      return { claimed: claim.map((c) => c.id), parked: park };
    }));
    const [claimed, parked] = await Promise.all([this.byIds(result.claimed), this.byIds(result.parked)]);
    return { claimed, parked };
  }

  private async byIds(ids: number[]): Promise<InboxRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM inbox_events WHERE id IN (${placeholders(ids.length)}) ORDER BY id`, ids);
    return rows.map(toRow);
  }

  /** Extends a lease the token still owns; false means the lease was lost (taken over, or the event is finished). */
  async renewLease(id: number, token: string, leaseUntil: number): Promise<boolean> {
    const changed = await this.db.exec(
      `UPDATE inbox_events SET lease_until = ? WHERE id = ? AND lease_token = ? AND status = 'processing'`, [leaseUntil, id, token]);
    return changed === 1;
  }

  /** Marks done only if the token still owns the event; false means it writes nothing (another claim took over). */
  async markDone(id: number, token: string, now: number): Promise<boolean> {
    const changed = await this.db.exec(
      `UPDATE inbox_events SET status = 'done', processed_at = ?, lease_owner = NULL, lease_until = NULL, lease_token = NULL, last_error = NULL
       WHERE id = ? AND lease_token = ? AND status = 'processing'`, [now, id, token]);
    return changed === 1;
  }

  /**
   * Records a failure if the token still owns the event: a retry at `retryAt`, or parked dead when
   * `retryAt` is null. An outcome was recorded, so the event is no longer counted as abandoned.
   */
  async markFailed(id: number, token: string, f: { error: string; retryAt: number | null; failures: number; firstFailedAt: number }): Promise<boolean> {
    const changed = await this.db.exec(
      `UPDATE inbox_events SET status = ?, next_attempt_at = ?, last_error = ?, failures = ?, first_failed_at = ?, abandoned = 0,
         lease_owner = NULL, lease_until = NULL, lease_token = NULL
       WHERE id = ? AND lease_token = ? AND status = 'processing'`,
      [f.retryAt === null ? 'dead' : 'pending', f.retryAt ?? 0, f.error.slice(0, 4000), f.failures, f.firstFailedAt, id, token]);
    return changed === 1;
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

  /** Puts a dead event back in the queue with a fresh set of attempts and a fresh failure budget. */
  async retry(id: number, now: number): Promise<boolean> {
    const changed = await this.db.exec(`UPDATE inbox_events SET ${REQUEUE} WHERE id = ? AND status = 'dead'`, [now, id]);
    return changed === 1;
  }

  /** Requeues every dead event (of one kind, if given); returns how many. */
  async retryAllDead(now: number, kind?: string): Promise<number> {
    return this.db.exec(`UPDATE inbox_events SET ${REQUEUE} WHERE status = 'dead'${kind ? ' AND kind = ?' : ''}`, kind ? [now, kind] : [now]);
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
    leaseToken: (r.lease_token as string | null) ?? null,
    leaseUntil: numOrNull(r.lease_until),
    lastError: (r.last_error as string | null) ?? null,
    processedAt: numOrNull(r.processed_at),
    failures: num(r.failures),
    abandoned: num(r.abandoned),
    firstFailedAt: numOrNull(r.first_failed_at),
  };
}
