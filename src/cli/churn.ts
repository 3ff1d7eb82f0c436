import type { Command } from 'commander';
import { churnRiskByRep } from '../judgement/churn-risk';
import { formatYuan } from '../policy/zh';
import { withDatabase } from './context';
import { NOW_OPTION_HELP, parseNowOption } from './now';

export function registerChurnCommand(program: Command): void {
  program
    .command('churn-risk')
    .description('Per-rep lists of at-risk and dormant customers, by spend over the last year (from the stored lifecycle)')
    .option('--rep <userid...>', 'only these reps')
    .option('--limit <n>', 'customers per rep', '10')
    .option('--now <iso>', NOW_OPTION_HELP)
    .action(async (opts: { rep?: string[]; limit: string; now?: string }) => {
      const now = parseNowOption(opts.now);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive whole number');
      await withDatabase(async (db) => {
        const lists = await churnRiskByRep(db, now, { repIds: opts.rep, limitPerRep: limit });
        if (lists.length === 0) {
          process.stdout.write('No customer is at risk or dormant (run `npx fencun jobs run tiers-recompute` if tiers were never computed).\n');
          return;
        }
        for (const l of lists) {
          process.stdout.write(`\n${l.repName ?? l.repId} (${l.repId}) — 风险金额 ${formatYuan(l.totalValueAtRisk)}\n`);
          for (const c of l.customers) {
            process.stdout.write(`  ${c.stageLabel}  ${c.customerId}  ${formatYuan(c.valueAtRisk)}  ${c.signals.join('；')}\n`);
          }
        }
      });
    });
}
