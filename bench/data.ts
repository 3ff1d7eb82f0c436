import { allJobs, findJob } from '../src/jobs/registry';
import { JobRunner } from '../src/jobs/runner';
import { createServices } from '../src/app';
import { loadConfig } from '../src/config';
import { migrateWithLock } from '../src/db/migrate';
import { createLogger } from '../src/log';
import { getTimeline } from '../src/timeline/timeline';
import { startSimulator } from '../src/wecom-simulator/server';
import { createTestDatabase } from '../test/helpers/db';
import { TEST_WECOM } from '../test/helpers/wecom-callback';
import { customerId, openScaleServices, percentile, SCALE } from './scale-data';

const RECONCILE_CUSTOMERS = Number(process.env.BENCH_RECONCILE_CUSTOMERS ?? 100_000);

/** Timeline p95 at 100k customers / 1M messages, beside one indexed SELECT as the baseline. */
async function benchTimeline(lines: string[]): Promise<void> {
  const services = await openScaleServices((l) => process.stdout.write(l + '\n'));
  try {
    const { db } = services;
    const timeline: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < 400; i++) {
      const id = customerId((i * 7919) % SCALE.customers);
      const b0 = process.hrtime.bigint();
      await db.query('SELECT id, msg_time, text FROM messages WHERE external_user_id = ? ORDER BY msg_time DESC LIMIT 20', [id]);
      baseline.push(Number(process.hrtime.bigint() - b0) / 1e6);
      const t0 = process.hrtime.bigint();
      const page = await getTimeline(db, id, { limit: 20 });
      if (page.next) await getTimeline(db, id, { before: page.next, limit: 20 });
      timeline.push(Number(process.hrtime.bigint() - t0) / 1e6 / (page.next ? 2 : 1));
    }
    lines.push(`timeline page (20 items, merged sources) at ${SCALE.customers} customers / ~${SCALE.messages} messages: ` +
      `p50 ${percentile(timeline, 50).toFixed(1)} ms, p95 ${percentile(timeline, 95).toFixed(1)} ms; ` +
      `baseline one indexed SELECT p95 ${percentile(baseline, 95).toFixed(1)} ms (${(percentile(timeline, 95) / percentile(baseline, 95)).toFixed(1)}x)`);
  } finally {
    await services.db.ds.destroy();
  }
}

/**
 * Full reconcile of a simulated corp (rate limits on) into a fresh MariaDB database, beside the
 * baseline of the same run: paging every customer through the client without writing anything.
 */
async function benchReconcile(lines: string[]): Promise<void> {
  const simulator = await startSimulator({
    port: 0, corpId: TEST_WECOM.corpId, agentId: Number(TEST_WECOM.agentId), secret: TEST_WECOM.secret,
    callbackToken: TEST_WECOM.token, callbackAesKey: TEST_WECOM.aesKey, seed: { seed: 7, reps: 500, customers: RECONCILE_CUSTOMERS },
  } as Parameters<typeof startSimulator>[0]);
  const database = await createTestDatabase('mariadb');
  const config = loadConfig({
    WECOM_CORP_ID: TEST_WECOM.corpId, WECOM_AGENT_ID: TEST_WECOM.agentId, WECOM_AGENT_SECRET: TEST_WECOM.secret,
    WECOM_CALLBACK_TOKEN: TEST_WECOM.token, WECOM_CALLBACK_AES_KEY: TEST_WECOM.aesKey,
    WECOM_API_BASE: simulator.url, DATABASE_URL: database.url, FENCUN_INSTANCE_ID: 'bench',
  });
  const services = await createServices(config, { log: createLogger('warn') });
  try {
    await migrateWithLock(services.db.ds, createLogger('warn'));
    const p0 = Date.now();
    const userIds = new Set<string>();
    for (const d of await services.wecom.listDepartments()) {
      for (const m of await services.wecom.listDepartmentMembers(d.id)) userIds.add(m.userId);
    }
    let paged = 0;
    for await (const _ of services.wecom.iterateContactsByUser([...userIds])) paged++;
    const pageMs = Date.now() - p0;
    const r0 = Date.now();
    // Where the time goes: the moment each phase (progress label) first reports.
    const phases: [string, number][] = [];
    const summary = await new JobRunner(services, allJobs()).runNow(findJob('contacts-sync')!, new Date(), (_done, _total, label) => {
      const phase = (label ?? '').split(' ')[0];
      if (phases.at(-1)?.[0] !== phase) phases.push([phase, Date.now()]);
    });
    const reconcileMs = Date.now() - r0;
    const split = phases.map(([name, t], i) => `${name} ${(((phases[i + 1]?.[1] ?? r0 + reconcileMs) - t) / 1000).toFixed(1)} s`);
    const perSecond = Math.round(RECONCILE_CUSTOMERS / (reconcileMs / 1000));
    lines.push(`reconcile of ${RECONCILE_CUSTOMERS} customers across 500 reps from the simulator (rate limits on) into MariaDB: ` +
      `${(reconcileMs / 1000).toFixed(1)} s, ${perSecond} records/s (${JSON.stringify(summary)})`);
    lines.push(`  baseline, paging the same ${paged} follow records through the client only: ${(pageMs / 1000).toFixed(1)} s ` +
      `(${Math.round(paged / (pageMs / 1000))} records/s); reconcile costs ${(reconcileMs / pageMs).toFixed(1)}x`);
    lines.push(`  phases: members and tags ${(((phases[0]?.[1] ?? r0) - r0) / 1000).toFixed(1)} s, ${split.join(', ')}`);
  } finally {
    await services.db.ds.destroy();
    await simulator.stop();
    await database.drop();
  }
}

/** The reconcile alone (npm run bench reconcile): no 1M-message seed needed. */
export async function benchReconcileOnly(): Promise<string[]> {
  const lines: string[] = [];
  await benchReconcile(lines);
  return lines;
}

export async function benchData(): Promise<string[]> {
  const lines: string[] = [];
  await benchTimeline(lines);
  await benchReconcile(lines);
  return lines;
}
