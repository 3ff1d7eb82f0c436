import type { Log } from '../log';
import type { Services } from '../services';

export interface JobContext {
  /** The instant the job evaluates as "now" (the schedule slot, or --now on the CLI). */
  now: Date;
  log: Log;
  services: Services;
  /** Progress for long jobs: a bar on a terminal, periodic log lines otherwise. */
  progress: (done: number, total: number, label?: string) => void;
}

/** What a run reports; printed by the CLI and stored on the job_runs row. */
export type JobSummary = Record<string, number | string>;

/**
 * A job is a named, idempotent function of `now`. The scheduler runs each slot of its cron
 * schedule (in FENCUN_TIMEZONE) on one instance, with `now` = the slot's instant; a run whose
 * instance stops heartbeating is run again by another, so a job must be safe to repeat.
 * `npx fencun jobs run <name> --now …` runs it once.
 */
export interface Job {
  name: string;
  description: string;
  /** Cron expression in the corp's time zone; null for jobs that only run on demand. */
  schedule: string | null;
  /**
   * Run the latest slot missed while no instance was up (at start-up and on every tick), once.
   * For jobs whose slot must not simply vanish (daily reminders, the digest, the nightly sync);
   * frequent jobs and housekeeping leave it off and just wait for their next slot.
   */
  catchUp?: boolean;
  run(ctx: JobContext): Promise<JobSummary | void>;
}
