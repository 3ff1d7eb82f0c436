import type { Command } from 'commander';
import { allJobs, findJob } from '../jobs/registry';
import { JobRunner } from '../jobs/runner';
import { terminalProgress } from './progress-bar';
import { withServices } from './context';
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
}
