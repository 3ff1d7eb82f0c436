import fs from 'node:fs';
import type { Command } from 'commander';
import { campaignService } from '../campaigns/service';
import type { PlanSummary } from '../campaigns/types';
import { withServices } from './context';
import { NOW_OPTION_HELP, parseNowOption } from './now';

/** `npx fencun campaigns …`: create, plan, approve, remind, cancel, status. */
export function registerCampaignCommands(program: Command): void {
  const c = program.command('campaigns').description('Outreach campaigns to customers: plan under the pressure policy, approve, track');

  c.command('create <file>')
    .description('Create a campaign from a JSON file (name, category, audience, content, schedule, creator); prints its id')
    .addHelpText('after', `
Example file:
  { "name": "春季回访", "category": "care", "creator": "zhangsan",
    "audience": { "tiers": ["core", "key"], "tags": { "any": ["VIP"] }, "noOrderInDays": 60 },
    "content": { "text": "您好，春季新品到了……", "attachments": [{ "msgtype": "link", "link": { "title": "新品", "url": "https://example.com" } }] },
    "schedule": { "start": "2026-03-02T10:00:00+08:00", "end": "2026-03-09T20:00:00+08:00", "perSenderDailyRate": 200 } }`)
    .action(async (file: string) => {
      let input: unknown;
      try {
        input = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`cannot read ${file} as JSON: ${(err as Error).message}`);
      }
      await withServices(async (s) => {
        const campaign = await campaignService(s).create(input);
        process.stdout.write(`campaign ${campaign.id} created (draft). Next: npx fencun campaigns plan ${campaign.id}\n`);
      });
    });

  c.command('plan <id>')
    .description('Plan the campaign: every customer judged by the pressure policy at their send time; counts by reason, batches, samples')
    .option('--now <iso>', NOW_OPTION_HELP)
    .option('--json', 'print the plan as JSON')
    .action(async (id: string, o: { now?: string; json?: boolean }) => {
      const now = parseNowOption(o.now);
      await withServices(async (s) => {
        const plan = await campaignService(s).plan(idOf(id), now);
        process.stdout.write(o.json ? JSON.stringify(plan, null, 2) + '\n' : formatPlan(plan));
      });
    });

  c.command('approve <id>')
    .description('Plan again at --now and approve: writes every decision and batch, sends the due batches through the outbox')
    .option('--now <iso>', NOW_OPTION_HELP)
    .action(async (id: string, o: { now?: string }) => {
      const now = parseNowOption(o.now);
      await withServices(async (s) => {
        const r = await campaignService(s).approve(idOf(id), now);
        process.stdout.write(`${r.approved ? 'approved' : 'already approved'}; ${r.dispatched} batch(es) handed to the outbox now\n${formatPlan(r.summary)}`);
      });
    });

  c.command('remind <id>')
    .description('Remind members who have not sent their task (remind_groupmsg_send, at most 3 per task per 24 h)')
    .option('--now <iso>', NOW_OPTION_HELP)
    .action(async (id: string, o: { now?: string }) => {
      const now = parseNowOption(o.now);
      await withServices(async (s) => {
        const r = await campaignService(s).remind(idOf(id), now);
        process.stdout.write(`reminded: ${r.reminded.join(', ') || 'nobody'}\n${r.skipped.map((x) => `not reminded ${x.sender}: ${x.why}\n`).join('')}`);
      });
    });

  c.command('cancel <id>')
    .description('Cancel: batches not yet sent never go; tasks already in WeCom are cancelled there')
    .option('--now <iso>', NOW_OPTION_HELP)
    .action(async (id: string, o: { now?: string }) => {
      const now = parseNowOption(o.now);
      await withServices(async (s) => {
        const r = await campaignService(s).cancel(idOf(id), now);
        process.stdout.write(`${r.cancelled ? 'cancelled' : 'was already cancelled'}: ${r.batchesStopped} batch(es) stopped before sending, ${r.tasksCancelled} WeCom task(s) cancelled\n`);
      });
    });

  c.command('status <id>')
    .description('Show the campaign: per-customer results with a progress bar, and each batch')
    .option('--watch <seconds>', 'refresh every N seconds until the campaign is finished')
    .action(async (id: string, o: { watch?: string }) => {
      const every = o.watch === undefined ? 0 : Number(o.watch);
      if (o.watch !== undefined && (!Number.isFinite(every) || every < 1)) throw new Error('--watch must be a number of seconds, 1 or more');
      await withServices(async (s) => {
        for (;;) {
          const st = await campaignService(s).status(idOf(id));
          const total = Object.values(st.results).reduce((a, b) => a + b, 0);
          const final = total - (st.results.pending ?? 0);
          const bar = progressBar(final, total);
          const lines = [
            `campaign ${st.campaign.id} "${st.campaign.name}" · ${st.campaign.status} · ${st.campaign.category}`,
            `${bar} ${final}/${total} customers with a final result`,
            ...['sent', 'pending', 'not_friend', 'over_quota', 'not_sent', 'cancelled', 'excluded'].map((k) => `  ${k.padEnd(11)} ${st.results[k] ?? 0}`),
            'batch  sender            send at (UTC)          size  status      task',
            ...st.batches.map((b) => `${String(b.no).padStart(5)}  ${b.sender.padEnd(16)}  ${new Date(b.sendAt).toISOString().slice(0, 16)}  ${String(b.size).padStart(6)}  ${b.status.padEnd(10)}  ${taskLabel(b)}`),
          ];
          process.stdout.write((every && process.stdout.isTTY ? '\x1b[2J\x1b[H' : '') + lines.join('\n') + '\n');
          if (!every || st.campaign.status === 'done' || st.campaign.status === 'cancelled') return;
          await new Promise((r) => setTimeout(r, every * 1000));
        }
      });
    });
}

function idOf(v: string): number {
  const id = Number(v);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`campaign id must be a positive whole number (got "${v}")`);
  return id;
}

function progressBar(done: number, total: number, width = 30): string {
  const filled = total ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function formatPlan(p: PlanSummary): string {
  const parts = [`${p.admitted} admitted`, ...Object.entries(p.deferred).map(([r, n]) => `${n} deferred (${r})`),
    ...Object.entries(p.excluded).map(([r, n]) => `${n} ${r}`)];
  const lines = [
    `plan at ${new Date(p.at).toISOString()}: ${p.audience} customers — ${parts.join(' · ')}`,
    `routing: ${p.routing.lastChat} to the member who last chatted with them, ${p.routing.followOwner} to the follow owner (no chat yet)`,
    `${p.batches.length} batch(es): ${p.batches.slice(0, 10).map((b) => `#${b.no} ${b.sender} ${b.customers} at ${b.sendAt}`).join('; ')}${p.batches.length > 10 ? '; …' : ''}`,
    ...Object.entries(p.samples).flatMap(([r, list]) => [`${r}:`, ...(list ?? []).map((x) => `  ${x.externalUserId}: ${x.explanation}`)]),
  ];
  return lines.join('\n') + '\n';
}

/** What the member did with a batch's WeCom task: a finished batch the member never sent is final, not waiting. */
function taskLabel(b: { taskStatus?: number | null; msgId?: string | null; status: string }): string {
  if (b.taskStatus === 2) return 'sent by member';
  if (!b.msgId) return '-';
  return b.status === 'done' ? 'not sent by member' : 'waiting for member';
}
