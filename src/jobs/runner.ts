import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors';
import type { Services } from '../services';
import type { Job, JobContext, JobSummary } from './job';
import { logProgress } from './progress';
import { JobRunRepository, JobRunRow, RunClaim } from './repository';
import { CronSchedule, parseSchedule, slotKey, slotTime } from './schedule';

export interface JobRunnerOptions {
  /** How often a running job renews its heartbeat. */
  heartbeatMs: number;
  /** A running row whose heartbeat is older than this is presumed dead and taken over. */
  staleAfterMs: number;
  /** Runs of one slot (the first and each takeover) before a slot whose runs keep dying is parked as failed. */
  maxAttempts: number;
}

export const defaultJobRunnerOptions: JobRunnerOptions = { heartbeatMs: 5_000, staleAfterMs: 60_000, maxAttempts: 3 };

/**
 * Runs each job's schedule slots across all instances.
 *
 * - One run per slot: a run first inserts its (job, slot) row in job_runs; the unique key lets
 *   exactly one instance's insert succeed, and only that instance runs the slot.
 * - Slots come from the clock, not from a timer firing on time: each tick asks every schedule
 *   for its latest slot at or before now and claims it if this runner still owes it, so a tick
 *   that arrives late (event-loop lag, a paused VM) still runs the slot it owes.
 * - Missed slots: a job with `catchUp` owes its latest slot even if it fell before this runner
 *   started (downtime, a deploy); other jobs owe only slots from their first tick on.
 * - Crashes: a running row is renewed every heartbeatMs by the claim's token holder. A row whose
 *   heartbeat is older than staleAfterMs is taken over (compare-and-set on its attempt number)
 *   and run again by exactly one other instance; the old owner, should it wake up, writes nothing.
 */
export class JobRunner {
  private readonly options: JobRunnerOptions;
  private readonly repo: JobRunRepository;
  private readonly schedules = new Map<string, CronSchedule>();
  /** Per job, the instant of the latest slot this runner has claimed or found taken. */
  private readonly settled = new Map<string, number>();
  /** Runs in flight on this instance, by job (one at a time per job, as node-cron's noOverlap did). */
  private readonly running = new Map<string, RunClaim & { lost?: boolean }>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private firstTickAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly services: Services, private readonly jobs: Job[], options: Partial<JobRunnerOptions> = {}) {
    this.options = { ...defaultJobRunnerOptions, ...options };
    if (this.options.staleAfterMs < 2 * this.options.heartbeatMs) {
      throw new Error(`job staleness (${this.options.staleAfterMs} ms) must be at least twice the heartbeat interval (${this.options.heartbeatMs} ms)`);
    }
    this.repo = new JobRunRepository(services.db);
    for (const job of jobs) {
      if (job.schedule) this.schedules.set(job.name, parseSchedule(job.schedule, services.config.timezone));
    }
  }

  /** Runs a job now, whatever its schedule (CLI). Returns its summary; throws if it fails. */
  async runNow(job: Job, now: Date, progress?: JobContext['progress']): Promise<JobSummary> {
    const claim = this.newClaim(job, `manual:${now.toISOString()}:${randomUUID().slice(0, 8)}`);
    await this.repo.claim(job.name, claim.slot, this.services.config.instanceId, claim.token, this.services.clock().getTime());
    return this.execute(job, claim, now, progress);
  }

  /** Runs a scheduled slot if no other instance has; returns null when it was already taken. */
  async runSlot(job: Job, at: Date): Promise<JobSummary | null> {
    const claim = await this.claimSlot(job, at);
    if (!claim) return null;
    return this.execute(job, claim, at);
  }

  /**
   * One look at the clock: claim and start every slot this runner owes, and take over runs whose
   * instance stopped heartbeating. Runs continue in the background (see idle()). The scheduler
   * calls this every minute; tests call it with a clock they move by hand.
   */
  async tick(): Promise<void> {
    const now = this.services.clock();
    this.firstTickAt ??= now.getTime();
    for (const job of this.jobs) await this.claimOwedSlot(job, now);
    await this.takeOverStaleRuns(now);
  }

  /** Resolves when every run started by this runner has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /** Renews the heartbeat of every run in flight here (the per-run timer calls it too). */
  async heartbeat(): Promise<void> {
    await Promise.all([...this.running.values()].map((c) => this.beat(c)));
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const loop = () => {
      this.ticking = this.ticking
        .then(() => this.tick())
        .catch((err) => this.services.log.error({ err: errorMessage(err) }, 'job scheduler tick failed'))
        .then(() => {
          if (this.stopped) return;
          // Just after the next minute boundary, by the clock: every slot is a whole minute.
          const ms = this.services.clock().getTime();
          this.timer = setTimeout(loop, 60_000 - (ms % 60_000) + 100);
        });
    };
    this.timer = setTimeout(loop, 0);
    for (const [name, s] of this.schedules) {
      this.services.log.debug({ job: name, schedule: s.expression, timezone: s.timeZone }, 'job scheduled');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    await this.idle();
  }

  private async claimOwedSlot(job: Job, now: Date): Promise<void> {
    const schedule = this.schedules.get(job.name);
    // A run of this job still in flight here: the owed slot waits for it (and coalesces with later ones).
    if (!schedule || this.running.has(job.name)) return;
    const slot = schedule.previous(now);
    if (!slot) return;
    const owedAfter = this.settled.get(job.name) ?? (job.catchUp ? -Infinity : this.firstTickAt! - 1);
    if (slot.getTime() <= owedAfter) return;
    let claim: RunClaim | null;
    try {
      claim = await this.claimSlot(job, slot);
    } catch {
      return; // claimSlot logged it; the slot stays owed, so the next tick tries again
    }
    this.settled.set(job.name, slot.getTime());
    if (!claim) return;
    if (slot.getTime() < this.firstTickAt!) {
      this.services.log.info({ job: job.name, slot: claim.slot }, `job ${job.name}: running the slot missed while no instance was running`);
    }
    this.launch(job, claim, slot);
  }

  private async claimSlot(job: Job, at: Date): Promise<RunClaim | null> {
    const claim = this.newClaim(job, slotKey(at));
    try {
      if (await this.repo.claim(job.name, claim.slot, this.services.config.instanceId, claim.token, this.services.clock().getTime())) return claim;
    } catch (err) {
      this.services.log.error({ job: job.name, slot: claim.slot, err: errorMessage(err) }, `could not claim job slot ${job.name} ${claim.slot}`);
      throw err;
    }
    this.services.log.debug({ job: job.name, slot: claim.slot }, 'job slot already taken by another instance');
    return null;
  }

  private async takeOverStaleRuns(now: Date): Promise<void> {
    const { log, config, metrics } = this.services;
    const staleBefore = now.getTime() - this.options.staleAfterMs;
    let stale: JobRunRow[];
    try {
      stale = await this.repo.findStale(staleBefore);
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'could not look for job runs whose instance stopped heartbeating');
      return;
    }
    for (const row of stale) {
      const job = this.jobs.find((j) => j.name === row.job);
      // Unknown here (another version's job), or one of this job's runs is in flight here.
      if (!job || this.running.has(job.name)) continue;
      const at = slotTime(row.slot);
      try {
        if (!at || row.attempt >= this.options.maxAttempts) {
          // Manual runs belong to the operator who started them; a slot that keeps dying is a poison run.
          const reason = at
            ? `abandoned after ${row.attempt} attempts: each instance running it stopped heartbeating (crashed or was killed)`
            : `abandoned: the process running it (${row.instanceId}) stopped heartbeating`;
          if (await this.repo.abandon(row, now.getTime(), staleBefore, reason)) {
            metrics.jobRuns.inc({ job: job.name, result: 'abandoned' });
            log.error({ job: job.name, slot: row.slot, instance: row.instanceId, attempt: row.attempt }, `job ${job.name} ${reason}`);
          }
          continue;
        }
        const claim = await this.repo.takeOver(row, config.instanceId, randomUUID(), now.getTime(), staleBefore);
        if (!claim) continue; // another instance took it over first
        log.warn({ job: job.name, slot: row.slot, previousInstance: row.instanceId, attempt: claim.attempt },
          `job ${job.name}: taking over the run of ${row.slot}, whose instance stopped heartbeating`);
        this.launch(job, claim, at);
      } catch (err) {
        log.error({ job: job.name, slot: row.slot, err: errorMessage(err) }, `could not take over the stale run of ${job.name} ${row.slot}`);
      }
    }
  }

  private launch(job: Job, claim: RunClaim, now: Date): void {
    // execute() logs a failure and records it on the row; nothing is left for the caller to do.
    const p: Promise<unknown> = this.execute(job, claim, now).catch(() => undefined).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private newClaim(job: Job, slot: string): RunClaim {
    return { job: job.name, slot, token: randomUUID(), attempt: 1 };
  }

  private async beat(claim: RunClaim & { lost?: boolean }): Promise<void> {
    if (claim.lost) return;
    try {
      if (await this.repo.heartbeat(claim, this.services.clock().getTime())) return;
      claim.lost = true;
      this.services.log.warn({ job: claim.job, slot: claim.slot }, `job ${claim.job}: another instance took over this run (its heartbeat was stale); its outcome will not be recorded`);
    } catch (err) {
      this.services.log.warn({ job: claim.job, slot: claim.slot, err: errorMessage(err) }, `job ${claim.job}: heartbeat failed; another instance takes the run over if this persists`);
    }
  }

  private async execute(job: Job, claim: RunClaim, now: Date, progress?: JobContext['progress']): Promise<JobSummary> {
    const { metrics, clock } = this.services;
    const log = this.services.log.child({ job: job.name, runId: claim.slot });
    const started = clock().getTime();
    const tracked: RunClaim & { lost?: boolean } = { ...claim };
    this.running.set(job.name, tracked);
    const heartbeat = setInterval(() => void this.beat(tracked), this.options.heartbeatMs);
    log.info({ now: now.toISOString(), attempt: claim.attempt }, `job ${job.name} started`);
    try {
      let summary: JobSummary;
      try {
        summary = (await job.run({ now, log, services: this.services, progress: progress ?? logProgress(log) })) ?? {};
      } catch (err) {
        const recorded = await this.repo.finish(claim, clock().getTime(), { status: 'failed', error: errorMessage(err).slice(0, 4000) })
          .catch((e) => {
            log.error({ err: errorMessage(e) }, `job ${job.name}: could not record the failure`);
            return true;
          });
        if (!recorded) log.warn(`job ${job.name}: failed after another instance took the run over; the failure is not recorded`);
        metrics.jobRuns.inc({ job: job.name, result: 'failed' });
        log.error({ err: errorMessage(err) }, `job ${job.name} failed`);
        throw err;
      }
      if (!(await this.repo.finish(claim, clock().getTime(), { status: 'done', summary: JSON.stringify(summary) }))) {
        log.warn(`job ${job.name}: finished after another instance took the run over; its outcome is not recorded`);
      }
      metrics.jobRuns.inc({ job: job.name, result: 'done' });
      log.info({ ...summary, ms: clock().getTime() - started }, `job ${job.name} finished`);
      return summary;
    } finally {
      clearInterval(heartbeat);
      this.running.delete(job.name);
    }
  }
}
