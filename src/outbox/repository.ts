import { randomBytes } from 'node:crypto';
import type { Database, Sql } from '../db/database';
import { insertIgnoringDuplicates, num, numOrNull, placeholders, retryOnLockConflict } from '../db/sql';
import type { IntentBody, NewIntent, OutboxIntent, OutboxKind, OutboxStatus } from './types';

const COLUMNS = `id, idem_key, kind, origin, body, pace_key, status, due_at, expires_at, next_attempt_at, attempts, lease_owner, lease_token,
  lease_until, doubt_since, first_attempt_at, last_attempt_at, wecom_msgid, wecom_result, errcode, reason, transient_failures, first_failed_at,
  created_at, updated_at, done_at`;

const LEASE_CLEAR = 'lease_owner = NULL, lease_token = NULL, lease_until = NULL';

/** A claimed intent and why it was claimed. */
export interface Claimed {
  intent: OutboxIntent;
  /** 'send': (re)send it; 'poll': read a created mass task's results. */
  phase: 'send' | 'poll';
}

/** Outcome columns a finished attempt writes (only while its token owns the intent). */
export interface Outcome {
  status: OutboxStatus;
  nextAttemptAt?: number;
  wecomMsgId?: string | null;
  wecomResult?: string | null;
  errcode?: number | null;
  reason?: string | null;
  /** undefined: keep; null: clear (the outcome is known); a number: set. */
  doubtSince?: number | null;
  transientFailures?: number;
  firstFailedAt?: number | null;
  dueAt?: number;
  done?: boolean;
}

/** Claim query parameters; `admit` is the pacing decision, made inside the claim's transaction. */
export interface ClaimQuery {
  instanceId: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** How many due candidates to read per claim (more than limit: some may be paced out). */
  scan: number;
  /**
   * Decides, under the claim lock, which candidates (at most `limit`) may start now. It may read
   * the pace log and write not-befores through `tx`; what it returns is claimed.
   */
  admit: (tx: Sql, candidates: OutboxIntent[], now: number, limit: number) => Promise<OutboxIntent[]>;
}

/**
 * Inserts the intent unless its key exists; returns the stored intent either way. Runs on the
 * caller's transaction, so the intent commits (or rolls back) with the decision that wants it.
 */
export async function insertIntent(tx: Sql, i: NewIntent & { paceKey: string }, now: number): Promise<{ intent: OutboxIntent; created: boolean }> {
  const { key, dueAt, expiresAt, origin, paceKey, ...body } = i;
  const n = await insertIgnoringDuplicates(tx, 'outbox_intents',
    ['idem_key', 'kind', 'origin', 'body', 'pace_key', 'status', 'due_at', 'expires_at', 'next_attempt_at', 'attempts', 'transient_failures', 'created_at', 'updated_at'],
    [[key, body.kind, origin, JSON.stringify(body), paceKey, 'pending', dueAt, expiresAt ?? null, dueAt, 0, 0, now, now]],
    ['idem_key']);
  const rows = await tx.query(`SELECT ${COLUMNS} FROM outbox_intents WHERE idem_key = ?`, [key]);
  return { intent: toIntent(rows[0]), created: n > 0 };
}

/** Every SQL statement that touches the outbox tables. */
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the intent unless its key exists; returns the stored intent either way. Runs on the
   * caller's transaction, so the intent commits (or rolls back) with the decision that wants it.
   */
  insert(tx: Sql, i: NewIntent & { paceKey: string }, now: number): Promise<{ intent: OutboxIntent; created: boolean }> {
    return insertIntent(tx, i, now);
  }

  /**
   * Claims up to `limit` intents that can start now, each under a fresh random token, in due-time
   * order. Due: pending or awaiting (a results poll) whose next attempt time has come, or running
   * / polling whose lease ran out (a crashed worker). A send waits while its pace key has a
   * not-before in the future or another send of the same key is in flight under a live lease
   * (one at a time per sender: its messages go in due order, and a 45009 stops the rest).
   * Claims are serialised (the claim lock row on MariaDB, BEGIN IMMEDIATE on SQLite), because the
   * rules span rows.
   */
  async claim(q: ClaimQuery): Promise<Claimed[]> {
    if (q.limit < 1) return [];
    const mysql = this.db.dialect === 'mysql';
    const claimed = await retryOnLockConflict(() => this.db.transaction(async (tx) => {
      if (mysql) await tx.query(`SELECT name FROM outbox_claim_lock WHERE name = 'claim' FOR UPDATE`);
      const cols = COLUMNS.split(',').map((c) => 'i.' + c.trim()).join(', ');
      // Sends: the earliest due pending intent of each sender (a sender with thousands queued
      // costs one row here, so it cannot crowd the others out of the scan), unless the sender is
      // paced out or already has a send in flight under a live lease.
      const heads = await tx.query(
        `SELECT ${cols} FROM outbox_intents i
         JOIN (SELECT pace_key, MIN(due_at) AS due FROM outbox_intents WHERE status = 'pending' AND next_attempt_at <= ? GROUP BY pace_key) h
           ON h.pace_key = i.pace_key AND h.due = i.due_at
         LEFT JOIN outbox_senders s ON s.pace_key = i.pace_key
         WHERE i.status = 'pending' AND i.next_attempt_at <= ? AND (s.not_before IS NULL OR s.not_before <= ?)
           AND NOT EXISTS (SELECT 1 FROM outbox_intents r WHERE r.pace_key = i.pace_key AND r.status = 'running' AND r.lease_until > ?)
         ORDER BY i.due_at, i.id LIMIT ?`,
        [q.now, q.now, q.now, q.now, q.scan]);
      // Takeovers of claims whose lease ran out, and results polls that are due.
      const others = await tx.query(
        `SELECT ${cols} FROM outbox_intents i
         WHERE (i.status IN ('running', 'polling') AND i.lease_until <= ?) OR (i.status = 'awaiting' AND i.next_attempt_at <= ?)
         ORDER BY i.due_at, i.id LIMIT ?`,
        [q.now, q.now, q.scan]);
      const rows = [...heads, ...others];
      const all = rows.map(toIntent);
      const polls = all.filter((r) => r.status === 'awaiting' || r.status === 'polling');
      // One send per sender per claim; a takeover goes first for its sender (its attempt may be in
      // doubt and is older work). admit() applies the pace to at most `limit` of them.
      const bySender = new Map<string, OutboxIntent>();
      for (const r of all) {
        if (r.status !== 'pending' && r.status !== 'running') continue;
        const first = bySender.get(r.paceKey);
        if (!first || (r.status === 'running' && first.status !== 'running')) bySender.set(r.paceKey, r);
      }
      const sends = [...bySender.values()].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
      const admitted = await q.admit(tx, sends, q.now, q.limit);
      const out: Claimed[] = [];
      // Admitted sends have drawn from their pace: every one is claimed; polls take the slots left.
      for (const intent of [...admitted, ...polls.slice(0, Math.max(0, q.limit - admitted.length))]) {
        const phase = intent.status === 'awaiting' || intent.status === 'polling' ? 'poll' : 'send';
        const token = randomBytes(16).toString('hex');
        const until = q.now + q.leaseMs;
        await tx.exec(
          `UPDATE outbox_intents SET status = ?, lease_owner = ?, lease_token = ?, lease_until = ?, attempts = attempts + ?, updated_at = ? WHERE id = ?`,
          [phase === 'poll' ? 'polling' : 'running', q.instanceId, token, until, phase === 'send' ? 1 : 0, q.now, intent.id]);
        out.push({
          phase,
          intent: { ...intent, status: phase === 'poll' ? 'polling' : 'running', leaseOwner: q.instanceId, leaseToken: token, leaseUntil: until,
            attempts: intent.attempts + (phase === 'send' ? 1 : 0) },
        });
      }
      return out;
    }));
    return claimed;
  }

  /** Draws of each key after `since` (keys without any are absent). */
  async countDraws(tx: Sql, paceKeys: string[], since: number): Promise<Map<string, number>> {
    if (paceKeys.length === 0) return new Map();
    const rows = await tx.query<{ pace_key: string; n: unknown }>(
      `SELECT pace_key, COUNT(*) AS n FROM outbox_pace_log WHERE pace_key IN (${placeholders(paceKeys.length)}) AND at > ? GROUP BY pace_key`,
      [...paceKeys, since]);
    return new Map(rows.map((r) => [r.pace_key, num(r.n)]));
  }

  /**
   * The rep's daily cap: per pace key, the intents that took a slot of the corp day [dayStart,
   * dayEnd). An intent takes one slot, on the day of its first attempt, if it was or may have
   * been delivered, however many attempts that took:
   * - sent (delivered), unknown (may have been), awaiting / polling (WeCom created it: a mass task
   *   waiting for its member), running (an attempt is under way: it may land any moment; one
   *   claimed and not yet marked has no first attempt and counts for today, when it is starting);
   * - pending with doubt_since: an attempt got no answer and may have been delivered (it is
   *   resolved, never sent blind, so it stays one message);
   * - not: pending without doubt (never attempted, or WeCom refused it as busy / rate-limited and
   *   nothing was delivered: it is checked against the cap again when claimed), failed (WeCom
   *   refused it; a resend in doubt that WeCom refuses outright was refused the first time too),
   *   skipped (not sent).
   * A message first attempted before midnight and delivered after it counts for the earlier day.
   * `exceptIds` are the candidates being decided: the caller counts each one it admits itself.
   * Served by (pace_key, first_attempt_at) (migration 058): a day's range per key, not the rep's
   * whole history; the unmarked running ones (a few at most) by a status index.
   */
  async countDailyCap(tx: Sql, paceKeys: string[], dayStart: number, dayEnd: number, exceptIds: number[]): Promise<Map<string, number>> {
    if (paceKeys.length === 0) return new Map();
    const keys = placeholders(paceKeys.length);
    const except = exceptIds.length ? `AND id NOT IN (${placeholders(exceptIds.length)})` : '';
    const rows = await tx.query<{ pace_key: string; n: unknown }>(
      `SELECT pace_key, COUNT(*) AS n FROM (
         SELECT pace_key FROM outbox_intents
         WHERE pace_key IN (${keys}) AND first_attempt_at >= ? AND first_attempt_at < ?
           AND (status IN ('sent', 'unknown', 'awaiting', 'polling', 'running') OR (status = 'pending' AND doubt_since IS NOT NULL)) ${except}
         UNION ALL
         SELECT pace_key FROM outbox_intents
         WHERE pace_key IN (${keys}) AND status = 'running' AND first_attempt_at IS NULL ${except}
       ) t GROUP BY pace_key`,
      [...paceKeys, dayStart, dayEnd, ...exceptIds, ...paceKeys, ...exceptIds]);
    return new Map(rows.map((r) => [r.pace_key, num(r.n)]));
  }

  /** The n-th newest draw of a key after `since` (1 = newest), or null when there are fewer. */
  async nthNewestDraw(tx: Sql, paceKey: string, since: number, n: number): Promise<number | null> {
    const rows = await tx.query<{ at: unknown }>(
      `SELECT at FROM outbox_pace_log WHERE pace_key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?`, [paceKey, since, Math.max(0, n - 1)]);
    return rows.length ? num(rows[0].at) : null;
  }

  /** Moves a pending intent's next attempt later with a reason (the rep's daily cap). */
  async defer(tx: Sql, id: number, until: number, reason: string, now: number): Promise<void> {
    await tx.exec(`UPDATE outbox_intents SET next_attempt_at = ?, reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'`, [until, reason.slice(0, 4000), now, id]);
  }

  async addPaceLog(tx: Sql, entries: { paceKey: string; at: number }[]): Promise<void> {
    if (entries.length === 0) return;
    await tx.exec(`INSERT INTO outbox_pace_log (pace_key, at) VALUES ${entries.map(() => '(?, ?)').join(', ')}`,
      entries.flatMap((e) => [e.paceKey, e.at]));
  }

  /** Forgets draws older than every window (the longest is the daily cap's day). */
  async prunePaceLog(before: number): Promise<number> {
    return this.db.exec(`DELETE FROM outbox_pace_log WHERE at < ?`, [before]);
  }

  /** Not-befores of these pace keys (keys without one are free). */
  async notBefore(tx: Sql, paceKeys: string[]): Promise<Map<string, number>> {
    if (paceKeys.length === 0) return new Map();
    const rows = await tx.query<{ pace_key: string; not_before: unknown }>(
      `SELECT pace_key, not_before FROM outbox_senders WHERE pace_key IN (${placeholders(paceKeys.length)})`, paceKeys);
    return new Map(rows.map((r) => [r.pace_key, num(r.not_before)]));
  }

  /**
   * Sets a pace key's not-before, never moving it earlier. `pauses` counts consecutive
   * WeCom-side pauses (the backoff's exponent); a successful send resets it (resetPauses).
   */
  async pause(db: Sql, paceKey: string, notBefore: number, reason: string, now: number, countPause: boolean): Promise<void> {
    const mysql = db.dialect === 'mysql';
    const inc = countPause ? 1 : 0;
    await db.exec(mysql
      ? `INSERT INTO outbox_senders (pace_key, not_before, pauses, reason, updated_at) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE not_before = GREATEST(not_before, VALUES(not_before)), pauses = pauses + ?, reason = VALUES(reason), updated_at = VALUES(updated_at)`
      : `INSERT INTO outbox_senders (pace_key, not_before, pauses, reason, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pace_key) DO UPDATE SET not_before = MAX(not_before, excluded.not_before), pauses = pauses + ?, reason = excluded.reason, updated_at = excluded.updated_at`,
    [paceKey, notBefore, inc, reason.slice(0, 1000), now, inc]);
  }

  async pausesOf(paceKey: string): Promise<number> {
    const rows = await this.db.query<{ pauses: unknown }>(`SELECT pauses FROM outbox_senders WHERE pace_key = ?`, [paceKey]);
    return rows.length ? num(rows[0].pauses) : 0;
  }

  async resetPauses(paceKeys: string[]): Promise<void> {
    if (paceKeys.length === 0) return;
    await this.db.exec(`UPDATE outbox_senders SET pauses = 0 WHERE pace_key IN (${placeholders(paceKeys.length)}) AND pauses > 0`, paceKeys);
  }

  /**
   * Durably marks that an attempt is starting, before the request leaves: from now on the request
   * may reach WeCom, so doubt_since is set (kept if an earlier attempt was already in doubt).
   * False: the token lost the intent, and nothing may be sent.
   */
  async markAttempt(id: number, token: string, now: number, leaseUntil: number): Promise<boolean> {
    // The lease is renewed with the mark: the request starts with a whole lease ahead of it.
    const changed = await this.db.exec(
      `UPDATE outbox_intents SET doubt_since = COALESCE(doubt_since, ?), first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, updated_at = ?,
         lease_until = ?
       WHERE id = ? AND lease_token = ? AND status = 'running'`, [now, now, now, now, leaseUntil, id, token]);
    return changed === 1;
  }

  /** Extends a lease the token still owns; false means it was lost. */
  async renewLease(id: number, token: string, leaseUntil: number): Promise<boolean> {
    const changed = await this.db.exec(
      `UPDATE outbox_intents SET lease_until = ? WHERE id = ? AND lease_token = ? AND status IN ('running', 'polling')`, [leaseUntil, id, token]);
    return changed === 1;
  }

  /** Writes an outcome only while the token owns the intent; false means it wrote nothing. */
  async finish(id: number, token: string, o: Outcome, now: number): Promise<boolean> {
    const sets: string[] = ['status = ?', LEASE_CLEAR, 'updated_at = ?'];
    const params: unknown[] = [o.status, now];
    const opt = (col: string, v: unknown) => {
      if (v === undefined) return;
      sets.push(`${col} = ?`);
      params.push(v);
    };
    opt('next_attempt_at', o.nextAttemptAt);
    opt('wecom_msgid', o.wecomMsgId);
    opt('wecom_result', o.wecomResult);
    opt('errcode', o.errcode);
    opt('reason', o.reason === undefined || o.reason === null ? o.reason : o.reason.slice(0, 4000));
    opt('doubt_since', o.doubtSince);
    opt('transient_failures', o.transientFailures);
    opt('first_failed_at', o.firstFailedAt);
    opt('due_at', o.dueAt);
    if (o.done) opt('done_at', now);
    const changed = await this.db.exec(
      `UPDATE outbox_intents SET ${sets.join(', ')} WHERE id = ? AND lease_token = ? AND status IN ('running', 'polling')`, [...params, id, token]);
    return changed === 1;
  }

  /** Whether another intent already owns this WeCom msgid (a looked-up mass task is claimed once). */
  async msgIdOwnedByOther(msgId: string, id: number): Promise<boolean> {
    const rows = await this.db.query(`SELECT id FROM outbox_intents WHERE wecom_msgid = ? AND id <> ?`, [msgId, id]);
    return rows.length > 0;
  }

  async get(id: number): Promise<OutboxIntent | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM outbox_intents WHERE id = ?`, [id]);
    return rows.length ? toIntent(rows[0]) : null;
  }

  async findByKey(db: Sql, key: string): Promise<OutboxIntent | null> {
    const rows = await db.query(`SELECT ${COLUMNS} FROM outbox_intents WHERE idem_key = ?`, [key]);
    return rows.length ? toIntent(rows[0]) : null;
  }

  async list(filter: { status?: OutboxStatus; kind?: OutboxKind; limit: number }): Promise<OutboxIntent[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) { where.push('status = ?'); params.push(filter.status); }
    if (filter.kind) { where.push('kind = ?'); params.push(filter.kind); }
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM outbox_intents ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`, [...params, filter.limit]);
    return rows.map(toIntent);
  }

  /**
   * An operator's retry: a failed, skipped or unknown intent goes back to pending, due now. For an
   * unknown one the operator accepts that it may arrive twice, so the doubt is cleared.
   */
  async retry(id: number, now: number): Promise<boolean> {
    const changed = await this.db.exec(
      `UPDATE outbox_intents SET status = 'pending', next_attempt_at = ?, due_at = ?, doubt_since = NULL, transient_failures = 0, first_failed_at = NULL,
         reason = NULL, errcode = NULL, done_at = NULL, expires_at = NULL, ${LEASE_CLEAR}, updated_at = ?
       WHERE id = ? AND status IN ('failed', 'skipped', 'unknown')`, [now, now, now, id]);
    return changed === 1;
  }

  async countsByStatus(): Promise<Record<OutboxStatus, number>> {
    const rows = await this.db.query<{ status: OutboxStatus; n: unknown }>(`SELECT status, COUNT(*) AS n FROM outbox_intents GROUP BY status`);
    const out = { pending: 0, running: 0, awaiting: 0, polling: 0, sent: 0, failed: 0, skipped: 0, unknown: 0 } as Record<OutboxStatus, number>;
    for (const r of rows) out[r.status] = num(r.n);
    return out;
  }

  /** due_at of the oldest intent that is due and not yet sent (the age metric). */
  async oldestDueAt(now: number): Promise<number | null> {
    const rows = await this.db.query(`SELECT MIN(due_at) AS t FROM outbox_intents WHERE status IN ('pending', 'running') AND due_at <= ?`, [now]);
    return numOrNull(rows[0]?.t);
  }
}

export function toIntent(r: Record<string, unknown>): OutboxIntent {
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: num(r.id),
    key: String(r.idem_key),
    kind: r.kind as OutboxKind,
    origin: String(r.origin),
    body: JSON.parse(String(r.body)) as IntentBody,
    paceKey: String(r.pace_key),
    status: r.status as OutboxStatus,
    dueAt: num(r.due_at),
    expiresAt: numOrNull(r.expires_at),
    nextAttemptAt: num(r.next_attempt_at),
    attempts: num(r.attempts),
    leaseOwner: str(r.lease_owner),
    leaseToken: str(r.lease_token),
    leaseUntil: numOrNull(r.lease_until),
    doubtSince: numOrNull(r.doubt_since),
    firstAttemptAt: numOrNull(r.first_attempt_at),
    lastAttemptAt: numOrNull(r.last_attempt_at),
    wecomMsgId: str(r.wecom_msgid),
    wecomResult: str(r.wecom_result),
    errcode: numOrNull(r.errcode),
    reason: str(r.reason),
    transientFailures: num(r.transient_failures),
    firstFailedAt: numOrNull(r.first_failed_at),
    createdAt: num(r.created_at),
    doneAt: numOrNull(r.done_at),
  };
}
