import type { Command } from 'commander';
import { InboxRepository, InboxRow, InboxStatus } from '../inbox/repository';
import { withDatabase } from './context';

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
        if (status === 'dead') process.stdout.write(`\nFix the cause, then: npx fencun inbox retry <id>\n`);
      });
    });

  inbox
    .command('retry <id>')
    .description('Put a dead event back in the queue with a fresh set of attempts')
    .action(async (idArg: string) => {
      const id = Number(idArg);
      if (!Number.isInteger(id) || id < 1) throw new Error('id must be an inbox event id (see: npx fencun inbox list --dead)');
      await withDatabase(async (db) => {
        const repo = new InboxRepository(db);
        const row = await repo.get(id);
        if (!row) throw new Error(`no inbox event with id ${id}`);
        if (row.status !== 'dead') throw new Error(`event ${id} is ${row.status}, not dead; only dead events can be retried`);
        await repo.retry(id, Date.now());
        process.stdout.write(`Event ${id} (${row.kind}) is queued again; a running Fencun will process it shortly.\n`);
      });
    });
}

function formatRow(r: InboxRow): string {
  const when = new Date(r.receivedAt).toISOString().replace('T', ' ').slice(0, 19);
  const err = r.lastError ? `  error: ${r.lastError.split('\n')[0].slice(0, 160)}` : '';
  return `#${r.id}  ${when}Z  ${r.status.padEnd(10)} ${r.kind.padEnd(28)} attempts=${r.attempts}${err}`;
}
