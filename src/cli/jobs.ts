import type { Command } from 'commander';
import { allJobs, findJob } from '../jobs/registry';
import { JobRunRepository, JobRunRow } from '../jobs/repository';
import { JobRunner } from '../jobs/runner';
import { terminalProgress } from './progress-bar';
import { withDatabase, withServices } from './context';
import { NOW_OPTION_HELP, parseNowOption } from './now';

export function registerJobCommands(program: Command): void {
  const jobs = program.command('jobs').description('List and run scheduled jobs');

  jobs
    .command('list')
    .description('List every job with its schedule (cron, in FENCUN_TIMEZONE)')
    .action(() => {
      for (const j of allJobs()) process.stdout.write(`${j.name.padEnd(22)} ${(j.schedule ?? 'on demand').padEnd(14)} ${j.description}\n`);
    });

  jobs
    .command('run <job>')
    .description('Run one job once, now (it still records a run, so a scheduled instance is unaffected)')
    .option('--now <iso>', NOW_OPTION_HELP)
    .action(async (name: string, opts: { now?: string }) => {
      const job = findJob(name);
      if (!job) throw new Error(`unknown job "${name}"; known jobs: ${allJobs().map((j) => j.name).join(', ')}`);
      const now = parseNowOption(opts.now);
      await withServices(async (services) => {
        const progress = terminalProgress();
        try {
          const summary = await new JobRunner(services, allJobs()).runNow(job, now, process.stderr.isTTY ? progress.update : undefined);
          progress.stop();
          const parts = Object.entries(summary).map(([k, v]) => `${k}=${v}`);
          process.stdout.write(`${job.name} finished${parts.length ? ': ' + parts.join(' ') : ''}\n`);
        } finally {
          progress.stop();
        }
      });
    });

  jobs
    .command('runs')
    .description('List job runs, newest first: slot, instance, status, duration and summary (or error)')
    .option('--job <name>', 'only runs of this job')
    .option('--limit <n>', 'how many to show', '20')
    .addHelpText('after', `
A scheduled slot is shown as its scheduled instant in UTC; "manual" rows are runs of
npx fencun jobs run. A run shown as running whose heartbeat stopped is taken over by
another instance (attempt 2, 3…) or, after its last attempt, marked failed.`)
    .action(async (opts: { job?: string; limit: string }) => {
      if (opts.job !== undefined && !findJob(opts.job)) {
        throw new Error(`unknown job "${opts.job}"; known jobs: ${allJobs().map((j) => j.name).join(', ')}`);
      }
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error('--limit must be a whole number from 1 to 1000');
      await withDatabase(async (db) => {
        const rows = await new JobRunRepository(db).list({ job: opts.job, limit });
        if (rows.length === 0) {
          process.stdout.write(opts.job ? `No runs of ${opts.job} yet.\n` : 'No job runs yet.\n');
          return;
        }
        process.stdout.write(`${'SLOT'.padEnd(24)} ${'JOB'.padEnd(18)} ${'INSTANCE'.padEnd(24)} ${'STATUS'.padEnd(8)} ${'DURATION'.padEnd(9)} SUMMARY\n`);
        for (const r of rows) process.stdout.write(formatRun(r) + '\n');
      });
    });
}

function formatRun(r: JobRunRow): string {
  const slot = r.slot.startsWith('manual:') ? `manual ${r.slot.slice(7, 23)}Z` : `${r.slot}Z`;
  const status = r.attempt > 1 ? `${r.status}#${r.attempt}` : r.status;
  const duration = r.finishedAt === null ? '-' : formatDuration(r.finishedAt - r.startedAt);
  const outcome = r.status === 'failed' ? `error: ${(r.error ?? '').split('\n')[0].slice(0, 160)}`
    : r.status === 'running' ? `heartbeat ${new Date(r.heartbeatAt ?? r.startedAt).toISOString().slice(0, 19)}Z`
    : formatSummary(r.summary);
  return `${slot.padEnd(24)} ${r.job.padEnd(18)} ${r.instanceId.padEnd(24)} ${status.padEnd(8)} ${duration.padEnd(9)} ${outcome}`;
}

function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function formatSummary(json: string | null): string {
  if (!json) return '';
  try {
    return Object.entries(JSON.parse(json) as Record<string, unknown>).map(([k, v]) => `${k}=${v}`).join(' ');
  } catch {
    return json;
  }
}
