import type { Sql } from '../db/database';
import { insertIgnoringDuplicates, num, numOrNull } from '../db/sql';

export type JobRunStatus = 'running' | 'done' | 'failed';

export interface JobRunRow {
  id: number;
  job: string;
  slot: string;
  instanceId: string;
  status: JobRunStatus;
  attempt: number;
  startedAt: number;
  finishedAt: number | null;
  heartbeatAt: number | null;
  summary: string | null;
  error: string | null;
}

/** A claim on a job_runs row: only the holder of its token may renew or finish the row. */
export interface RunClaim {
  job: string;
  slot: string;
  token: string;
  attempt: number;
}

/**
 * job_runs: one row per (job, slot). The unique key decides which instance runs a slot; the
 * token and attempt columns decide, by compare-and-set, who owns a row once it is running.
 */
export class JobRunRepository {
  constructor(private readonly db: Sql) {}

  /** Inserts the slot's row as running; false when the slot already has a row (taken). */
  async claim(job: string, slot: string, instanceId: string, token: string, now: number): Promise<boolean> {
    const inserted = await insertIgnoringDuplicates(this.db, 'job_runs',
      ['job', 'slot', 'instance_id', 'status', 'started_at', 'heartbeat_at', 'attempt', 'claim_token'],
      [[job, slot, instanceId, 'running', now, now, 1, token]],
      ['job', 'slot']);
    return inserted === 1;
  }

  /** Renews the claim's heartbeat; false when the row is no longer ours (taken over or finished). */
  async heartbeat(c: RunClaim, now: number): Promise<boolean> {
    const owned = `job = ? AND slot = ? AND claim_token = ? AND status = 'running'`;
    const changed = await this.db.exec(`UPDATE job_runs SET heartbeat_at = ? WHERE ${owned}`, [now, c.job, c.slot, c.token]);
    if (changed === 1) return true;
    // MySQL counts changed rows, not matched ones: a beat in the same millisecond changes nothing.
    return (await this.db.query(`SELECT id FROM job_runs WHERE ${owned}`, [c.job, c.slot, c.token])).length === 1;
  }

  /** Records the outcome; false (and nothing written) when the claim was lost meanwhile. */
  async finish(c: RunClaim, now: number, outcome: { status: 'done'; summary: string } | { status: 'failed'; error: string }): Promise<boolean> {
    const [column, value] = outcome.status === 'done' ? ['summary', outcome.summary] : ['error', outcome.error];
    return (await this.db.exec(
      `UPDATE job_runs SET status = ?, finished_at = ?, heartbeat_at = ?, ${column} = ?
       WHERE job = ? AND slot = ? AND claim_token = ? AND status = 'running'`,
      [outcome.status, now, now, value, c.job, c.slot, c.token])) === 1;
  }

  /** Running rows whose owner has not renewed its heartbeat since `staleBefore`. */
  async findStale(staleBefore: number): Promise<JobRunRow[]> {
    const rows = await this.db.query(
      `SELECT * FROM job_runs WHERE status = 'running' AND heartbeat_at < ? ORDER BY id LIMIT 100`, [staleBefore]);
    return rows.map(toRow);
  }

  /**
   * Takes a stale row over for a new attempt. Compare-and-set on the attempt number read with it:
   * of any number of instances racing for the same stale row, exactly one changes it.
   */
  async takeOver(stale: JobRunRow, instanceId: string, token: string, now: number, staleBefore: number): Promise<RunClaim | null> {
    const changed = await this.db.exec(
      `UPDATE job_runs SET instance_id = ?, claim_token = ?, attempt = attempt + 1, started_at = ?, heartbeat_at = ?, error = NULL
       WHERE id = ? AND status = 'running' AND attempt = ? AND heartbeat_at < ?`,
      [instanceId, token, now, now, stale.id, stale.attempt, staleBefore]);
    return changed === 1 ? { job: stale.job, slot: stale.slot, token, attempt: stale.attempt + 1 } : null;
  }

  /** Parks a stale row as failed (out of attempts, or a manual run whose process died); same compare-and-set. */
  async abandon(stale: JobRunRow, now: number, staleBefore: number, reason: string): Promise<boolean> {
    return (await this.db.exec(
      `UPDATE job_runs SET status = 'failed', finished_at = ?, error = ?
       WHERE id = ? AND status = 'running' AND attempt = ? AND heartbeat_at < ?`,
      [now, reason, stale.id, stale.attempt, staleBefore])) === 1;
  }

  async get(job: string, slot: string): Promise<JobRunRow | null> {
    const rows = await this.db.query('SELECT * FROM job_runs WHERE job = ? AND slot = ?', [job, slot]);
    return rows.length ? toRow(rows[0]) : null;
  }

  /** History, newest first. */
  async list(opts: { job?: string; limit: number }): Promise<JobRunRow[]> {
    const where = opts.job ? 'WHERE job = ?' : '';
    const rows = await this.db.query(
      `SELECT * FROM job_runs ${where} ORDER BY started_at DESC, id DESC LIMIT ${Math.floor(opts.limit)}`,
      opts.job ? [opts.job] : []);
    return rows.map(toRow);
  }
}

function toRow(r: Record<string, unknown>): JobRunRow {
  return {
    id: num(r.id),
    job: String(r.job),
    slot: String(r.slot),
    instanceId: String(r.instance_id),
    status: r.status as JobRunStatus,
    attempt: num(r.attempt),
    startedAt: num(r.started_at),
    finishedAt: numOrNull(r.finished_at),
    heartbeatAt: numOrNull(r.heartbeat_at),
    summary: (r.summary as string | null) ?? null,
    error: (r.error as string | null) ?? null,
  };
}
