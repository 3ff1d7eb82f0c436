import { randomBytes } from 'node:crypto';
import type { Database, Sql } from '../db/database';
import { chunks, insertIgnoringDuplicates, num, numOrNull, placeholders, retryOnLockConflict } from '../db/sql';

export type InboxStatus = 'pending' | 'processing' | 'done' | 'dead';

export interface NewInboxRow {
  dedupeKey: string;
  kind: string;
  orderKey: string | null;
  payload: string;
  eventTime: number;
  receivedAt: number;
  /** Claimed before other due heads while now < urgentUntil (a welcome code's window; writer.ts urgentUntil). */
  urgentUntil?: number | null;
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

const REQUEUE = `status = 'pending', head_state = 0, attempts = 0, failures = 0, abandoned = 0, first_failed_at = NULL, next_attempt_at = ?,
  lease_owner = NULL, lease_token = NULL, lease_until = NULL`;

/** head_state: where an unfinished row stands in its order key's queue (see claim). */
const UNPLACED = 0;
const HEAD = 1;
const BEHIND = 2;
/**
 * SQL: 1 when an older unfinished row of the same key as `alias` exists. One probe per status, each
 * an equality on (order_key, status) plus a range on id, so a key's done rows are never read.
 */
function olderUnfinished(alias: string): string {
  const probe = (status: string) => `EXISTS (SELECT 1 FROM inbox_events o WHERE o.order_key = ${alias}.order_key AND o.status = '${status}' AND o.id < ${alias}.id)`;
  return `CASE WHEN ${alias}.order_key IS NOT NULL AND (${probe('pending')} OR ${probe('processing')}) THEN 1 ELSE 0 END`;
}
/** Unplaced rows read per statement while placing arrivals. */
const PLACE_BATCH = 2_000;

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
      ['dedupe_key', 'kind', 'order_key', 'payload', 'event_time', 'received_at', 'status', 'attempts', 'next_attempt_at', 'urgent_until'],
      rows.map((r) => [r.dedupeKey, r.kind, r.orderKey, r.payload, r.eventTime, r.receivedAt, 'pending', 0, r.receivedAt, r.urgentUntil ?? null]),
      ['dedupe_key'],
    );
  }

  /**
   * Claims up to `limit` events that can start now, each under a fresh random token, leased
   * until `now + leaseMs`. An event is due when pending and its retry time has come, or when its
   * claimer's lease ran out (a crashed or cut-off worker). Only the head of each order key is
   * claimable: no older unfinished row of its key, and no other row of its key in flight under a
   * live lease (a row that committed late or was requeued from dead is older than one already
   * running).
   *
   * Heads are marked on the row (head_state), so a claim reads its candidates from one index
   * range, whatever the backlog: with 11k customers queued, computing every key's head per claim
   * cost ~50k index entries to start four events. Rows arrive unplaced (0); each claim first places
   * the rows that arrived since the last one as head (1) or behind (2), and a finished head
   * promotes its key's next row. Every candidate is still checked against the rule above in the
   * same statement, so the marks decide only which rows are looked at, never the order of a key.
   *
   * Which heads are looked at first (dueHeads): those still inside a welcome code's 20 s window
   * (urgent_until > now, set at ingress for an add event carrying a WelcomeCode), then expired
   * leases, then the rest by due time. The lane only reorders heads of different keys: an urgent
   * event behind an older unfinished one of its customer is not a head and waits, exactly as
   * before; once that one ends and promotes it, the next claim takes it first. Past its window a
   * row is ordinary again.
   *
   * A due head whose lease ran out `maxAbandoned` times without an outcome is poison (the worker
   * died on it each time): it is parked dead instead of claimed, and returned in `parked`.
   *
   * The head rule spans rows, so row locks cannot make it safe between instances; claims, and every
   * change that ends a head (markDone, a failure parked dead), are serialised instead: on MariaDB by
   * locking the one inbox_claim_lock row first (every later read in the transaction then sees every
   * earlier claim's commit), on SQLite by BEGIN IMMEDIATE. A row placed behind its head is thus
   * always promoted by the change that finishes that head. Renewals and retries, which end no head,
   * do not take the lock; inserts and requeues leave rows unplaced, which the next claim places.
   */
  async claim(q: { instanceId: string; now: number; leaseMs: number; limit: number; maxAbandoned?: number }): Promise<{ claimed: InboxRow[]; parked: InboxRow[] }> {
    if (q.limit < 1) return { claimed: [], parked: [] };
    const maxAbandoned = q.maxAbandoned ?? Number.POSITIVE_INFINITY;
    const result = await retryOnLockConflict(() => this.db.transaction(async (tx) => {
      await this.lockClaims(tx);
      await this.placeArrivals(tx);
      const claim: { row: InboxRow; token: string; takeover: boolean }[] = [];
      const park: InboxRow[] = [];
      // A candidate found behind an older row (a late commit or a requeue took the head) is
      // marked so and leaves its slot free: look again, a few times at most. Rows taken by an
      // earlier pass are still pending in this read (written below): skip them, or one event
      // would be claimed twice in one claim.
      const taken = new Set<number>();
      for (let pass = 0; pass < 3 && taken.size < q.limit; pass++) {
        const heads = (await this.dueHeads(tx, q.now, q.limit)).filter((h) => !taken.has(h.row.id)).slice(0, q.limit - taken.size);
        const behind = heads.filter((h) => h.behind).map((h) => h.row.id);
        for (const { row, behind } of heads) {
          if (behind) continue;
          taken.add(row.id);
          const takeover = row.status === 'processing';
          // This claim would be the (abandoned + 1)th to start it; the previous ones never finished.
          if (takeover && row.abandoned + 1 >= maxAbandoned) park.push(row);
          else claim.push({ row, token: randomBytes(16).toString('hex'), takeover });
        }
        for (const ids of chunks(behind)) {
          await tx.exec(`UPDATE inbox_events SET head_state = ${BEHIND} WHERE id IN (${placeholders(ids.length)})`, ids);
        }
        if (behind.length === 0) break;
      }
      if (park.length > 0) {
        await tx.exec(
          `UPDATE inbox_events SET status = 'dead', abandoned = abandoned + 1, lease_owner = NULL, lease_until = NULL, lease_token = NULL,
             last_error = ? WHERE id IN (${placeholders(park.length)})`,
          [`claimed ${maxAbandoned} time(s) and never completed: the process may be crashing on this event`, ...park.map((p) => p.id)]);
        for (const p of park) await this.promoteNext(tx, p.orderKey);
      }
      // Row by row: each claim has its own token. The primary key is the only lock taken.
      for (const c of claim) {
        await tx.exec(
          `UPDATE inbox_events SET status = 'processing', lease_owner = ?, lease_token = ?, lease_until = ?, attempts = attempts + 1,
             abandoned = abandoned + ? WHERE id = ?`,
          [q.instanceId, c.token, q.now + q.leaseMs, c.takeover ? 1 : 0, c.row.id]);
      }
      return { claim, parked: park.map((p) => p.id) };
    }));
    // The claimed rows as just written (no second read); parked ones are rare and read back.
    const claimed = result.claim.map(({ row, token, takeover }): InboxRow => ({
      ...row, status: 'processing', leaseOwner: q.instanceId, leaseToken: token, leaseUntil: q.now + q.leaseMs,
      attempts: row.attempts + 1, abandoned: row.abandoned + (takeover ? 1 : 0),
    }));
    return { claimed, parked: await this.byIds(result.parked) };
  }

  /** MariaDB: the one row every claim and every head-ending change locks first (see claim). SQLite's BEGIN IMMEDIATE already serialises. */
  private async lockClaims(tx: Sql): Promise<void> {
    if (this.db.dialect === 'mysql') await tx.query(`SELECT name FROM inbox_claim_lock WHERE name = 'claim' FOR UPDATE`);
  }

  /**
   * inbox_events read through the mark's own index, in its order. MariaDB's estimates for the mark
   * are poor (it is new on every row), and it would otherwise walk (status, next_attempt_at)
   * through every queued row: ~180 ms with 40k queued, against well under 1 ms. The welcome lane
   * names its own index (head_state, status, urgent_until) for the same reason: through either of
   * the others it would read every pending head to find the few whose window is open.
   */
  private byMark(alias: string, index = 'ix_inbox_events_head_state'): string {
    return this.db.dialect === 'mysql' ? `inbox_events ${alias} FORCE INDEX (${index})` : `inbox_events ${alias} INDEXED BY ${index}`;
  }

  /**
   * Places every unplaced unfinished row: head if no older unfinished row of its key exists, else
   * behind. Each row costs one probe of the (order_key, status) index, however long its key's queue.
   */
  private async placeArrivals(tx: Sql): Promise<void> {
    for (;;) {
      // Per status, each an equality on (head_state, status): finished rows are never read, even
      // those from before the mark existed (still 0).
      const unplaced = (status: string) => `SELECT * FROM (SELECT b.id, ${olderUnfinished('b')} AS behind FROM ${this.byMark('b')}
           WHERE b.head_state = ${UNPLACED} AND b.status = '${status}' LIMIT ${PLACE_BATCH}) ${status}_rows`;
      const rows = await tx.query<{ id: unknown; behind: unknown }>(`${unplaced('pending')} UNION ALL ${unplaced('processing')}`);
      for (const [state, behind] of [[HEAD, 0], [BEHIND, 1]] as const) {
        const ids = rows.filter((r) => num(r.behind) === behind).map((r) => num(r.id));
        for (const part of chunks(ids)) {
          await tx.exec(`UPDATE inbox_events SET head_state = ${state} WHERE id IN (${placeholders(part.length)})`, part);
        }
      }
      if (rows.length < PLACE_BATCH) return;
    }
  }

  /**
   * Due rows marked head, in three lanes, each one index range read in order and stopped at
   * `limit`: pending rows inside their welcome window (urgent_until > now) by id, then expired
   * leases (they have waited longest) by id, then pending rows by due time. An urgent row is also
   * a pending one; it is kept once, in its first lane. A row whose key has a newer row in flight
   * under a live lease is passed over; `behind` says an older unfinished row of its key exists (the
   * mark is stale), so it must not start.
   */
  private async dueHeads(tx: Sql, now: number, limit: number): Promise<{ row: InboxRow; behind: boolean }[]> {
    const select = (lane: number, index?: string) => `SELECT ${COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')}, ${olderUnfinished('e')} AS behind,
      ${lane} AS lane FROM ${this.byMark('e', index)} WHERE e.head_state = ${HEAD}`;
    const notBlocked = `(e.order_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM inbox_events r WHERE r.order_key = e.order_key AND r.status = 'processing' AND r.lease_until > ? AND r.id > e.id))`;
    // One round trip for all three: each lane is limited on its own, then ranked here.
    const rows = await tx.query<Record<string, unknown>>(
      `SELECT * FROM (${select(0, 'ix_inbox_events_urgent')} AND e.status = 'pending' AND e.urgent_until > ? AND e.next_attempt_at <= ? AND ${notBlocked}
         ORDER BY e.id LIMIT ?) w
       UNION ALL
       SELECT * FROM (${select(1)} AND e.status = 'processing' AND e.lease_until <= ? AND ${notBlocked} ORDER BY e.id LIMIT ?) x
       UNION ALL
       SELECT * FROM (${select(2)} AND e.status = 'pending' AND e.next_attempt_at <= ? AND ${notBlocked} ORDER BY e.next_attempt_at, e.id LIMIT ?) y`,
      [now, now, now, limit, now, now, limit, now, now, limit]);
    const ranked = rows.map((r) => ({ row: toRow(r), behind: num(r.behind) === 1, lane: num(r.lane) }));
    ranked.sort((a, b) => a.lane - b.lane || (a.lane === 2 ? a.row.nextAttemptAt - b.row.nextAttemptAt : 0) || a.row.id - b.row.id);
    const seen = new Set<number>();
    const heads: { row: InboxRow; behind: boolean }[] = [];
    for (const { row, behind } of ranked) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      heads.push({ row, behind });
    }
    return heads.slice(0, limit);
  }

  /** After a head of `orderKey` ended: its key's oldest unfinished row, if placed behind, becomes the head. Under the claim lock. */
  private async promoteNext(tx: Sql, orderKey: string | null): Promise<void> {
    if (orderKey === null) return;
    // One index dive per status (a MIN over IN would read the key's whole queue on MariaDB).
    const [r] = await tx.query<{ p: unknown; q: unknown }>(
      `SELECT (SELECT MIN(id) FROM inbox_events WHERE order_key = ? AND status = 'pending') AS p,
              (SELECT MIN(id) FROM inbox_events WHERE order_key = ? AND status = 'processing') AS q`, [orderKey, orderKey]);
    const next = [numOrNull(r?.p), numOrNull(r?.q)].filter((v): v is number => v !== null);
    if (next.length > 0) await tx.exec(`UPDATE inbox_events SET head_state = ${HEAD} WHERE id = ? AND head_state = ${BEHIND}`, [Math.min(...next)]);
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

  /**
   * Marks done only if the token still owns the event; false means it writes nothing (another
   * claim took over). Ends a head, so it runs under the claim lock and promotes the key's next row.
   */
  async markDone(id: number, token: string, now: number, orderKey?: string | null): Promise<boolean> {
    return this.endHead(id, `status = 'done', processed_at = ?, lease_owner = NULL, lease_until = NULL, lease_token = NULL, last_error = NULL`, [now], token, orderKey);
  }

  /**
   * Records a failure if the token still owns the event: a retry at `retryAt`, or parked dead when
   * `retryAt` is null. An outcome was recorded, so the event is no longer counted as abandoned.
   */
  async markFailed(id: number, token: string, f: { error: string; retryAt: number | null; failures: number; firstFailedAt: number }, orderKey?: string | null): Promise<boolean> {
    const set = `status = ?, next_attempt_at = ?, last_error = ?, failures = ?, first_failed_at = ?, abandoned = 0,
         lease_owner = NULL, lease_until = NULL, lease_token = NULL`;
    const params = [f.retryAt === null ? 'dead' : 'pending', f.retryAt ?? 0, f.error.slice(0, 4000), f.failures, f.firstFailedAt];
    // A retry keeps the event its key's head: nothing to promote, no lock needed.
    if (f.retryAt !== null) {
      const changed = await this.db.exec(`UPDATE inbox_events SET ${set} WHERE id = ? AND lease_token = ? AND status = 'processing'`, [...params, id, token]);
      return changed === 1;
    }
    return this.endHead(id, set, params, token, orderKey);
  }

  /**
   * Finishes a row the token owns (done or dead) and promotes its key's next row, under the claim
   * lock. `orderKey`: the row's key when the caller has it (saves a read).
   */
  private endHead(id: number, set: string, params: unknown[], token: string, orderKey?: string | null): Promise<boolean> {
    return retryOnLockConflict(() => this.db.transaction(async (tx) => {
      await this.lockClaims(tx);
      const changed = await tx.exec(`UPDATE inbox_events SET ${set} WHERE id = ? AND lease_token = ? AND status = 'processing'`, [...params, id, token]);
      if (changed !== 1) return false;
      const key = orderKey !== undefined ? orderKey
        : ((await tx.query<{ order_key: string | null }>(`SELECT order_key FROM inbox_events WHERE id = ?`, [id]))[0]?.order_key ?? null);
      await this.promoteNext(tx, key);
      return true;
    }));
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
