import type { Command } from 'commander';
import { OutboxRepository } from '../outbox/repository';
import { OutboxService } from '../outbox/service';
import { OUTBOX_KINDS, OUTBOX_STATUSES, OutboxIntent, OutboxKind, OutboxStatus } from '../outbox/types';
import { withDatabase } from './context';
import { NOW_OPTION_HELP, parseNowOption } from './now';

export function registerOutboxCommands(program: Command): void {
  const outbox = program.command('outbox').description('Inspect the outbox (every message Fencun sends) and retry what failed');

  outbox
    .command('list')
    .description('List recent send intents, newest first, with WeCom\'s ids or the reason they did not go')
    .option('--status <status>', `only intents with this status (${OUTBOX_STATUSES.join(', ')})`)
    .option('--kind <kind>', `only intents of this kind (${OUTBOX_KINDS.join(', ')})`)
    .option('--limit <n>', 'how many to show', '50')
    .action(async (opts: { status?: string; kind?: string; limit: string }) => {
      if (opts.status && !OUTBOX_STATUSES.includes(opts.status as OutboxStatus)) throw new Error(`--status must be one of ${OUTBOX_STATUSES.join(', ')}`);
      if (opts.kind && !OUTBOX_KINDS.includes(opts.kind as OutboxKind)) throw new Error(`--kind must be one of ${OUTBOX_KINDS.join(', ')}`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive whole number');
      await withDatabase(async (db) => {
        const rows = await new OutboxRepository(db).list({ status: opts.status as OutboxStatus | undefined, kind: opts.kind as OutboxKind | undefined, limit });
        if (rows.length === 0) {
          process.stdout.write(opts.status ? `No ${opts.status} intents.\n` : 'The outbox is empty.\n');
          return;
        }
        for (const r of rows) process.stdout.write(formatIntent(r) + '\n');
        if (rows.some((r) => r.status === 'failed' || r.status === 'unknown' || r.status === 'skipped')) {
          process.stdout.write('\nFix the cause, then: npx fencun outbox retry <id>   (an unknown one may arrive twice: check with the recipient first)\n');
        }
      });
    });

  outbox
    .command('retry <id>')
    .description('Send a failed, skipped or unknown intent again, due now (an unknown one may then arrive twice)')
    .option('--now <iso>', NOW_OPTION_HELP)
    .action(async (idArg: string, opts: { now?: string }) => {
      const now = parseNowOption(opts.now);
      const id = Number(idArg);
      if (!Number.isInteger(id) || id < 1) throw new Error('id must be an outbox intent id (see: npx fencun outbox list --status failed)');
      await withDatabase(async (db) => {
        const r = await new OutboxService(db, () => now).retry(id, now.getTime());
        if (!r.ok) throw new Error(r.message);
        process.stdout.write(`Intent ${id} (${r.intent.kind}, ${r.intent.key}) is due again at ${now.toISOString()}; a running Fencun will send it shortly.\n`);
      });
    });
}

function formatIntent(r: OutboxIntent): string {
  const due = new Date(r.dueAt).toISOString().replace('T', ' ').slice(0, 19);
  const to = recipientOf(r);
  const ids = r.wecomMsgId ? `  msgid=${r.wecomMsgId}` : '';
  const code = r.errcode !== null ? `  errcode=${r.errcode}` : '';
  const reason = r.reason ? `  ${r.reason.split('\n')[0].slice(0, 200)}` : '';
  return `#${r.id}  due ${due}Z  ${r.status.padEnd(8)} ${r.kind.padEnd(11)} ${to.padEnd(20)} attempts=${r.attempts}${ids}${code}${reason}`;
}

function recipientOf(r: OutboxIntent): string {
  switch (r.body.kind) {
    case 'app_message': return `to ${r.body.toUser}`;
    case 'mass_task': return `${r.body.chatType} by ${r.body.sender}`;
    case 'welcome': return `welcome ${r.body.externalUserId.slice(0, 12)}`;
    case 'robot': return `robot ${r.body.robot}`;
    case 'card_update': return `card of ${r.body.toUser}`;
  }
}
