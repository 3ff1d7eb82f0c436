/**
 * npm run bench [case…]: every figure is printed beside a baseline measured in the same run,
 * because these machines are noisy; compare ratios, not absolute numbers.
 */
import { benchCallback } from './callback';
import { benchCampaigns } from './campaigns';
import { benchData, benchReconcileOnly } from './data';
import { benchDigest } from './digest';
import { benchInboxBacklog } from './inbox';
import { benchJudgement } from './judgement';
import { benchOutbox } from './outbox';
import { benchReminders } from './reminders';
import { benchSidebar } from './sidebar';
import { benchWhatIf } from './what-if';

const CASES: Record<string, () => Promise<string[]>> = {
  callback: benchCallback,
  judgement: benchJudgement,
  reminders: benchReminders,
  data: benchData,
  reconcile: benchReconcileOnly,
  sidebar: benchSidebar,
  digest: benchDigest,
  campaigns: benchCampaigns,
  outbox: benchOutbox,
  'inbox-backlog': benchInboxBacklog,
  'what-if': benchWhatIf,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !CASES[w]);
  if (unknown.length) throw new Error(`unknown bench case(s) ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}`);
  for (const name of wanted.length ? wanted : Object.keys(CASES)) {
    process.stdout.write(`\n# ${name}\n`);
    const started = Date.now();
    for (const line of await CASES[name]()) process.stdout.write(line + '\n');
    process.stdout.write(`  (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
