import type { Command } from 'commander';
import { InboxRepository, InboxRow, InboxStatus } from '../inbox/repository';
import { withDatabase } from './context';
import { NOW_OPTION_HELP, parseNowOption } from './now';

const STATUSES: InboxStatus[] = ['pending', 'processing', 'done', 'dead'];

export function registerInboxCommands(program: Command): void {
  const inbox = program.command('inbox').description('Inspect and repair the callback inbox');

  inbox
    .command('list')
    .description('List recent inbox events, newest first')
    .option('--dead', 'only events parked as dead after repeated failures')
    .option('--status <status>', `only events with this status (${STATUSES.join(', ')})`)
    .option('--limit <n>', 'how many to show', '50')
    .action(async (opts: { dead?: boolean; status?: string; limit: string }) => {
      const status = opts.dead ? 'dead' : opts.status;
      if (status && !STATUSES.includes(status as InboxStatus)) throw new Error(`--status must be one of ${STATUSES.join(', ')}`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive whole number');
      await withDatabase(async (db) => {
        const rows = await new InboxRepository(db).list({ status: status as InboxStatus | undefined, limit });
        if (rows.length === 0) {
          process.stdout.write(status ? `No ${status} events.\n` : 'The inbox is empty.\n');
          return;
        }
        for (const r of rows) process.stdout.write(formatRow(r) + '\n');
        if (status === 'dead') process.stdout.write(`\nFix the cause, then: npx fencun inbox retry <id>   (or all at once: npx fencun inbox retry --all-dead [--kind <kind>])\n`);
      });
    });

  inbox
    .command('retry [id]')
    .description('Put a dead event (or, with --all-dead, every dead event) back in the queue with fresh attempts')
    .option('--all-dead', 'requeue every dead event')
    .option('--kind <kind>', 'with --all-dead: only dead events of this kind (e.g. add_external_contact)')
    .option('--now <iso>', NOW_OPTION_HELP)
    .action(async (idArg: string | undefined, opts: { allDead?: boolean; kind?: string; now?: string }) => {
      const now = parseNowOption(opts.now);
      if (opts.allDead && idArg !== undefined) throw new Error('give either an event id or --all-dead, not both');
      if (opts.kind !== undefined && !opts.allDead) throw new Error('--kind only applies with --all-dead');
      if (opts.allDead) {
        await withDatabase(async (db) => {
          const n = await new InboxRepository(db).retryAllDead(now.getTime(), opts.kind);
          const what = opts.kind ? `dead ${opts.kind} events` : 'dead events';
          process.stdout.write(n === 0 ? `No ${what} to retry.\n` : `${n} ${what} are queued again; a running Fencun will process them shortly.\n`);
        });
        return;
      }
      if (idArg === undefined) throw new Error('give an event id (see: npx fencun inbox list --dead) or --all-dead');
      const id = Number(idArg);
      if (!Number.isInteger(id) || id < 1) throw new Error('id must be an inbox event id (see: npx fencun inbox list --dead)');
      await withDatabase(async (db) => {
        const repo = new InboxRepository(db);
        const row = await repo.get(id);
        if (!row) throw new Error(`no inbox event with id ${id}`);
        if (row.status !== 'dead') throw new Error(`event ${id} is ${row.status}, not dead; only dead events can be retried`);
        await repo.retry(id, now.getTime());
        process.stdout.write(`Event ${id} (${row.kind}) is queued again; a running Fencun will process it shortly.\n`);
      });
    });
}

function formatRow(r: InboxRow): string {
  const when = new Date(r.receivedAt).toISOString().replace('T', ' ').slice(0, 19);
  const err = r.lastError ? `  error: ${r.lastError.split('\n')[0].slice(0, 160)}` : '';
  return `#${r.id}  ${when}Z  ${r.status.padEnd(10)} ${r.kind.padEnd(28)} attempts=${r.attempts}${err}`;
}
