import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { groupContentService } from '../group-content/service';
import { CSV_COLUMNS } from '../group-content/csv';
import { withServices } from './context';
import { NOW_OPTION_HELP, parseNowOption } from './now';

const DAY = 86_400_000;

/** `npx fencun group-content …`: import a month of posts, list the calendar, cancel a post. */
export function registerGroupContentCommands(program: Command): void {
  const g = program.command('group-content').description('Scheduled posts to customer groups: import, list the calendar (with what the caps move or skip), cancel');

  g.command('import <file>')
    .description('Import posts from a CSV file; every row is checked first and nothing is stored unless all are good')
    .option('--now <iso>', NOW_OPTION_HELP)
    .addHelpText('after', `
Columns (header row, any order): ${CSV_COLUMNS.join(', ')}
  at: "YYYY-MM-DD HH:MM" in FENCUN_TIMEZONE; repeat: empty, daily, or weekdays such as MON|THU (then until = last day);
  owners, tags, chat_ids: lists joined by |; name_pattern: * and ? wildcards; attachments: a JSON array.
Example:
  name,at,repeat,until,owners,text,creator
  周一早安,2026-03-02 10:00,MON,2026-03-30,zhangsan|lisi,早上好！本周活动……,ops`)
    .action(async (file: string, o: { now?: string }) => {
      const now = parseNowOption(o.now);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${file}: ${(err as Error).message}`);
      }
      await withServices(async (s) => {
        const posts = await groupContentService(s).importCsv(text, now, `csv:${path.basename(file)}`);
        process.stdout.write(`imported ${posts.length} post(s): ${posts.map((p) => p.id).join(', ')}. See the calendar: npx fencun group-content list\n`);
      });
    });

  g.command('list')
    .description('The calendar: each post and group, sent / moved / skipped with the reason (what is not decided yet is previewed)')
    .option('--from <iso>', 'start (ISO time); default: --now')
    .option('--days <n>', 'how many days from --from', '7')
    .option('--now <iso>', NOW_OPTION_HELP)
    .option('--json', 'print JSON')
    .action(async (o: { from?: string; days: string; now?: string; json?: boolean }) => {
      const now = parseNowOption(o.now);
      const from = o.from === undefined ? now.getTime() : parseNowOption(o.from).getTime();
      const days = Number(o.days);
      if (!Number.isInteger(days) || days < 1 || days > 92) throw new Error('--days must be a whole number from 1 to 92');
      await withServices(async (s) => {
        const rows = await groupContentService(s).list({ from, to: from + days * DAY, now });
        if (o.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        const zone = s.config.timezone;
        const t = (ms: number | null) => (ms === null ? '-'.padEnd(16) : DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm'));
        const lines = [`group posts ${t(from)} → ${t(from + days * DAY)} (${zone}): ${rows.length} group send(s)`,
          'post  scheduled         group                         owner         send at           status      why'];
        for (const r of rows) {
          lines.push(`${String(r.postId).padStart(4)}  ${t(r.occurrenceAt)}  ${r.chatId.slice(0, 28).padEnd(28)}  ${(r.owner ?? '-').padEnd(12)}  ${t(r.at)}  ${r.status.padEnd(10)}  ${r.decision === 'send' ? '' : r.explanation}`);
        }
        process.stdout.write(lines.join('\n') + '\n');
      });
    });

  g.command('cancel <id>')
    .description('Cancel a post or series: what is not yet handed to WeCom never goes; tasks already in WeCom are cancelled there')
    .option('--now <iso>', NOW_OPTION_HELP)
    .action(async (id: string, o: { now?: string }) => {
      const now = parseNowOption(o.now);
      const n = Number(id);
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`group post id must be a positive whole number (got "${id}")`);
      await withServices(async (s) => {
        const r = await groupContentService(s).cancel(n, now);
        process.stdout.write(`${r.cancelled ? 'cancelled' : 'was already cancelled'}: ${r.sendsStopped} group send(s) stopped before sending, ${r.tasksCancelled} WeCom task(s) cancelled\n`);
      });
    });
}
