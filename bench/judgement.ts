import { loadCustomerInputs, loadPressureStates } from '../src/judgement/inputs';
import { assessCustomer, recommendNextAction } from '../src/judgement/next-action-service';
import { evaluateMany } from '../src/pressure';
import { customerId, openScaleServices, percentile, SCALE, SCALE_NOW } from './scale-data';

/**
 * Judgement at 100k customers / 1M messages on MariaDB: nightly tier recomputation, batch
 * pressure evaluation for a campaign to everyone (bar: < 5 s including the queries), and the
 * baseline of the same run: a plain SELECT of every customer id.
 */
export async function benchJudgement(): Promise<string[]> {
  const lines: string[] = [];
  const services = await openScaleServices((l) => process.stdout.write(l + '\n'));
  try {
    const { db, judgement } = services;
    const t0 = Date.now();
    const ids = (await db.query<{ external_user_id: string }>('SELECT external_user_id FROM external_contacts ORDER BY id')).map((r) => r.external_user_id);
    const baselineMs = Date.now() - t0;
    lines.push(`scale: ${ids.length} customers, ${SCALE.reps} reps, ~${SCALE.messages} messages (MariaDB); baseline SELECT of all ids: ${baselineMs} ms`);

    const p0 = Date.now();
    const states = await loadPressureStates(db, ids, SCALE_NOW, judgement.policy.pressure.fallbackTier);
    const loadMs = Date.now() - p0;
    const e0 = Date.now();
    const verdicts = evaluateMany([...states.values()], 'marketing', SCALE_NOW, judgement.pressurePolicy);
    const evalMs = Date.now() - e0;
    const allowed = verdicts.filter((v) => v.allowed).length;
    const total = loadMs + evalMs;
    lines.push(`batch pressure, marketing to all ${ids.length}: ${total} ms (queries ${loadMs} ms + policy ${evalMs} ms), ${allowed} allowed; bar < 5000 ms ${total < 5000 ? 'PASS' : 'FAIL'}; ${(total / baselineMs).toFixed(1)}x baseline`);

    const r0 = Date.now();
    const summary = await judgement.tiers.recomputeAll(SCALE_NOW, 'bench');
    const recomputeMs = Date.now() - r0;
    lines.push(`tier recomputation of ${summary.customers} customers: ${recomputeMs} ms (${Math.round(summary.customers / (recomputeMs / 1000))} customers/s), ${summary.changed} tier changes; ${(recomputeMs / baselineMs).toFixed(1)}x baseline`);

    const samples: number[] = [];
    for (let i = 0; i < 300; i++) {
      const id = customerId((i * 331) % SCALE.customers);
      const s0 = process.hrtime.bigint();
      const inputs = await loadCustomerInputs(db, [id], SCALE_NOW, judgement.tiers.windows());
      judgement.tiers.evaluate(inputs.get(id)!, SCALE_NOW);
      samples.push(Number(process.hrtime.bigint() - s0) / 1e6);
    }
    lines.push(`one customer's tier + lifecycle from the database: p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms`);

    const nba: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < 400; i++) {
      const id = customerId((i * 7919 + 13) % SCALE.customers);
      const b0 = process.hrtime.bigint();
      await db.query('SELECT * FROM customer_facts WHERE external_user_id = ?', [id]);
      baseline.push(Number(process.hrtime.bigint() - b0) / 1e6);
      const s0 = process.hrtime.bigint();
      const a = await assessCustomer(db, judgement, id, SCALE_NOW);
      recommendNextAction(judgement, a, { name: '客户', reminders: [] }, SCALE_NOW);
      nba.push(Number(process.hrtime.bigint() - s0) / 1e6);
    }
    const p95 = percentile(nba, 95);
    lines.push(`next best action for one customer (load + decide): p50 ${percentile(nba, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms; bar p95 < 10 ms ${p95 < 10 ? 'PASS' : 'FAIL'}; baseline one-row SELECT p95 ${percentile(baseline, 95).toFixed(1)} ms`);
  } finally {
    await services.db.ds.destroy();
  }
  return lines;
}
