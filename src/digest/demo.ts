import type { Clock } from '../clock';
import type { Services } from '../services';
import { dateZh } from './message';
import { previousLocalDate } from './compute';
import { digestServiceOf, runDigests } from './job';
import { digestKey } from './service';

/**
 * For the demo's start (src/demo/main.ts wires it): run the supervisors' digest for the previous
 * local day as the 08:30 job would, let the outbox deliver it to the simulated WeCom, and return
 * the lines to print: each supervisor, the message they received, and the page's URL. Running it
 * again on a later start is harmless: the outbox key makes it one message per supervisor and
 * day, and the lines then show the message sent the first time.
 */
export async function demoDigestLines(d: { services: Services; url: string; clock?: Clock }): Promise<string[]> {
  const { services } = d;
  const now = (d.clock ?? services.clock)();
  const date = previousLocalDate(now.getTime(), services.config.timezone);
  const run = await runDigests(services, now);
  if (run.skipped) return [`Supervisors' digest: ${String(run.skipped)}`];
  await services.outboxWorker.drain();
  const svc = digestServiceOf(services);
  const supervisions = await svc.supervisions();
  const page = `${d.url.replace(/\/+$/, '')}/digest/?date=${date}`;
  const lines = [`Supervisors' digest for ${dateZh(date)} (${date}, ${services.config.timezone}): ${supervisions.length} supervisor(s), ${Number(run.enqueued)} sent now`
    + `${Number(run.existing) ? `, ${Number(run.existing)} sent at an earlier start` : ''}. Page: ${page}`];
  for (const s of supervisions) {
    const intent = await services.outbox.repo.findByKey(services.db, digestKey(s.userId, date));
    const body = intent?.body as { message?: { markdown?: { content?: string } } } | undefined;
    const text = body?.message?.markdown?.content ?? '(no message)';
    const state = intent?.status === 'sent' ? 'received' : `not delivered yet (${intent?.status ?? 'no intent'})`;
    lines.push(`  ${s.name} (${s.userId}, ${s.scope === 'corp' ? 'whole corp' : `${s.reps.length} reps`}) ${state}:`);
    for (const l of text.split('\n')) lines.push(`    ${l}`);
    lines.push(`    page: ${page}`);
  }
  return lines;
}
