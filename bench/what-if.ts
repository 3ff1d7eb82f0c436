import os from 'node:os';
import { whatIf } from '../src/admin/what-if';
import { loadCustomerInputs } from '../src/judgement/inputs';
import { livePolicyOf, rawOf } from '../src/policy/live';
import { openScaleServices, SCALE, SCALE_NOW } from './scale-data';

/**
 * The console's policy what-if on 100k customers (MariaDB): every customer scored under both
 * tier rules, next week's planned touches judged under both pressure policies. Beside the
 * baseline measured in the same run: reading every customer's scoring inputs once (what any tier
 * recompute must read). The what-if reads them twice only when the candidate changes a window.
 */
export async function benchWhatIf(): Promise<string[]> {
  const lines: string[] = [];
  const services = await openScaleServices((l) => process.stdout.write(l + '\n'));
  try {
    const live = livePolicyOf(services);
    await live.refresh({ force: true });
    const raw = rawOf(live.current().policy);
    const tiers = raw.tiers as { tiers: { minScore: number }[] };
    tiers.tiers[0].minScore += 10;
    const pressure = raw.pressure as { tiers: Record<string, { quietHours: unknown }> };
    for (const t of Object.values(pressure.tiers)) t.quietHours = { start: '19:00', end: '10:00' };
    const candidate = live.candidate({ tiers, pressure }).policy;

    const ids = (await services.db.query<{ external_user_id: string }>('SELECT external_user_id FROM external_contacts')).map((r) => r.external_user_id);
    const windows = services.judgement.tiers.windows();
    const b0 = Date.now();
    for (let i = 0; i < ids.length; i += 1000) await loadCustomerInputs(services.db, ids.slice(i, i + 1000), SCALE_NOW, windows);
    const baselineMs = Date.now() - b0;
    lines.push(`customers: ${ids.length} of ${SCALE.customers}; baseline (every customer's scoring inputs read once, 1000 per batch): ${baselineMs} ms`);

    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const r = await whatIf(services, { current: live.current(), candidate, now: SCALE_NOW });
    const ms = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const touches = Object.entries(r.touches).map(([k, v]) => `${k} ${v.total} (${v.newlyDeferred} newly deferred)`).join(' · ');
    lines.push(`what-if: ${ms} ms — ${r.tiers.changed} of ${r.tiers.customers} customers change tier; ${touches}`);
    lines.push(`  ${(ms / Math.max(1, baselineMs)).toFixed(2)}x baseline; CPU in this process ${Math.round((cpu.user + cpu.system) / 1000)} ms; load average ${os.loadavg()[0].toFixed(1)}`);
  } finally {
    await services.db.ds.destroy();
  }
  return lines;
}

if (require.main === module) {
  benchWhatIf().then((lines) => {
    for (const l of lines) process.stdout.write(l + '\n');
    process.exit(0);
  }, (err) => {
    process.stderr.write(String(err?.stack ?? err) + '\n');
    process.exit(1);
  });
}
