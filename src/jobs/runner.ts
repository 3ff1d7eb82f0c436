import { randomUUID } from 'node:crypto';
import cron, { ScheduledTask } from 'node-cron';
import { insertIgnoringDuplicates } from '../db/sql';
import { errorMessage } from '../errors';
import type { Services } from '../services';
import type { Job, JobContext, JobSummary } from './job';
import { logProgress } from './progress';

/**
 * Runs jobs once per schedule slot across all instances: each run first inserts its
 * (job, slot) row in job_runs, and only the instance whose insert succeeded runs it.
 */
export class JobRunner {
  private tasks: ScheduledTask[] = [];
  private inFlight = new Set<Promise<unknown>>();

  constructor(private readonly services: Services, private readonly jobs: Job[]) {}

  /** Runs a job now, whatever its schedule (CLI). Returns its summary; throws if it fails. */
  async runNow(job: Job, now: Date, progress?: JobContext['progress']): Promise<JobSummary> {
    const slot = `manual:${now.toISOString()}:${randomUUID().slice(0, 8)}`;
    await this.claimSlot(job, slot);
    return this.execute(job, slot, now, progress);
  }

  /** Runs a scheduled slot if no other instance has; returns null when it was already taken. */
  async runSlot(job: Job, slotTime: Date): Promise<JobSummary | null> {
    const slot = slotTime.toISOString().slice(0, 16);
    if (!(await this.claimSlot(job, slot))) {
      this.services.log.debug({ job: job.name, slot }, 'job slot already taken by another instance');
      return null;
    }
    return this.execute(job, slot, slotTime);
  }

  start(): void {
    const { config, log } = this.services;
    for (const job of this.jobs) {
      if (!job.schedule) continue;
      const task = cron.schedule(
        job.schedule,
        (ctx) => {
          const slotTime = new Date(Math.floor(ctx.date.getTime() / 60_000) * 60_000);
          const p = this.runSlot(job, slotTime).catch(() => undefined).finally(() => this.inFlight.delete(p));
          this.inFlight.add(p);
          return p;
        },
        { timezone: config.timezone, name: job.name, noOverlap: true },
      );
      this.tasks.push(task);
      log.debug({ job: job.name, schedule: job.schedule, timezone: config.timezone }, 'job scheduled');
    }
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    this.tasks = [];
    await Promise.all([...this.inFlight]);
  }

  private async claimSlot(job: Job, slot: string): Promise<boolean> {
    const inserted = await insertIgnoringDuplicates(this.services.db, 'job_runs',
      ['job', 'slot', 'instance_id', 'status', 'started_at'],
      [[job.name, slot, this.services.config.instanceId, 'running', this.services.clock().getTime()]],
      ['job', 'slot']);
    return inserted === 1;
  }

  private async execute(job: Job, slot: string, now: Date, progress?: JobContext['progress']): Promise<JobSummary> {
    const { db, metrics, clock } = this.services;
    const log = this.services.log.child({ job: job.name, runId: slot });
    const started = clock().getTime();
    log.info({ now: now.toISOString() }, `job ${job.name} started`);
    try {
      const summary = (await job.run({ now, log, services: this.services, progress: progress ?? logProgress(log) })) ?? {};
      await db.exec(`UPDATE job_runs SET status = 'done', finished_at = ?, summary = ? WHERE job = ? AND slot = ?`,
        [clock().getTime(), JSON.stringify(summary), job.name, slot]);
      metrics.jobRuns.inc({ job: job.name, result: 'done' });
      log.info({ ...summary, ms: clock().getTime() - started }, `job ${job.name} finished`);
      return summary;
    } catch (err) {
      await db.exec(`UPDATE job_runs SET status = 'failed', finished_at = ?, error = ? WHERE job = ? AND slot = ?`,
        [clock().getTime(), errorMessage(err).slice(0, 4000), job.name, slot]).catch(() => undefined);
      metrics.jobRuns.inc({ job: job.name, result: 'failed' });
      log.error({ err: errorMessage(err) }, `job ${job.name} failed`);
      throw err;
    }
  }
}
