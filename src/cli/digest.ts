import type { Command } from 'commander';
import { isCalendarDate, previousLocalDate } from '../digest/compute';
import { digestServiceOf } from '../digest/job';
import { withServices } from './context';
import { NOW_OPTION_HELP, parseNowOption } from './now';

/** `npx fencun digest …`: what the supervisors' morning digest says, without sending it. */
export function registerDigestCommands(program: Command): void {
  const d = program.command('digest').description("Supervisors' morning digest: preview the message a supervisor gets (nothing is sent)");

  d.command('preview')
    .description('Print the exact text of the app message the supervisor would get for a local day (nothing is sent or written)')
    .requiredOption('--supervisor <userid>', 'WeCom userid of a department leader, or of a supervisor or admin in config/digest.json')
    .option('--date <YYYY-MM-DD>', 'the local day (FENCUN_TIMEZONE) the digest is about; default: the day before --now')
    .option('--now <iso>', `${NOW_OPTION_HELP}; the current-state lists (waiting, at risk, under-served…) are judged at this instant`)
    .addHelpText('after', `
The message the 08:30 job sends on a morning is the preview of the day before, judged at 08:30:
  npx fencun digest preview --supervisor zhangsan --now 2026-03-03T08:30:00+08:00
Figures are defined in docs/KPIS.md.`)
    .action(async (o: { supervisor: string; date?: string; now?: string }) => {
      const now = parseNowOption(o.now);
      await withServices(async (s) => {
        const date = o.date ?? previousLocalDate(now.getTime(), s.config.timezone);
        if (!isCalendarDate(date)) throw new Error(`--date must be a date such as 2026-03-02 (got "${date}")`);
        const svc = digestServiceOf(s);
        const all = await svc.supervisions();
        const team = all.find((x) => x.userId === o.supervisor);
        if (!team) {
          const known = all.map((x) => x.userId);
          throw new Error(`"${o.supervisor}" supervises nobody: a supervisor is a department leader with members under them, or is listed in config/digest.json (supervisors, admins). `
            + (known.length ? `Supervisors now: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ` and ${known.length - 20} more` : ''}` : 'Nobody supervises anyone yet (has the contacts sync run?)'));
        }
        const digest = await svc.digestOf(team, date, now.getTime());
        process.stdout.write(svc.markdown(digest) + '\n');
      });
    });
}
