import { parseDatabaseUrl } from '../src/config';
import { createDataSource } from '../src/db/data-source';
import { Database } from '../src/db/database';
import { migrateWithLock } from '../src/db/migrate';
import { Metrics } from '../src/ops/metrics';
import { DEFAULT_OUTBOX_CONFIG } from '../src/outbox/policy';
import { createOutbox, enqueue } from '../src/outbox/service';
import { startSimulator } from '../src/wecom-simulator';
import { WecomClient } from '../src/wecom/client';
import { createTestDatabase } from '../test/helpers/db';
import { captureLog } from '../test/helpers/logs';
import { TEST_WECOM } from '../test/helpers/wecom-callback';
import { wecomConfig } from '../test/wecom/support';

/**
 * Outbox delivery rate against the simulator with its rate limits on (30 app messages a minute per
 * member, fixed windows), as a ratio of the limit (goal ≥ 0.9×), on MariaDB. More is queued than
 * may go; the clock is simulated (shared by the simulator and Fencun, moved 1 s per step) so
 * minutes of WeCom time take seconds. The client's own per-process limiter runs on wall time and is
 * the backstop, so it is opened wide here: the figure is the outbox's pacing. Baseline of the same
 * run: the wall time of one send round trip to the simulator.
 */
export async function benchOutbox(): Promise<string[]> {
  const lines: string[] = [];
  const reps = Number(process.env.BENCH_OUTBOX_REPS ?? 10);
  const minutes = Number(process.env.BENCH_OUTBOX_MINUTES ?? 8);
  const perMember = DEFAULT_OUTBOX_CONFIG.pacing.memberPerMinute;
  let t = Date.parse('2026-03-02T01:00:00Z');
  const clock = () => new Date(t);
  const database = await createTestDatabase('mariadb');
  const ds = createDataSource(parseDatabaseUrl(database.url)!);
  await ds.initialize();
  const { log } = captureLog('silent');
  await migrateWithLock(ds, log);
  const db = new Database(ds);
  const sim = await startSimulator({
    port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret, callbackToken: TEST_WECOM.token,
    callbackAesKey: TEST_WECOM.aesKey, seed: { seed: 7, reps: reps + 1, customers: (reps + 1) * 5, teamSize: 5 }, clock,
  });
  try {
    const metrics = new Metrics();
    const wide = [{ limit: 1_000_000, windowMs: 60_000 }];
    const wecom = new WecomClient({ config: wecomConfig(sim.url), db, clock, log, metrics, rateRules: { 'message/send:member': wide } });
    const { worker } = createOutbox({
      db, wecom, clock, log, metrics, timeZone: 'Asia/Shanghai', instanceId: 'bench',
      config: { ...DEFAULT_OUTBOX_CONFIG, repDailyCap: 100_000 }, worker: { heartbeatMs: 0, concurrency: 4 },
    });
    // One member is kept for the baseline round trips, so they draw from no measured member's window.
    const [baselineUser, ...users] = sim.admin.reps().map((r) => r.userId);
    const queued = Math.ceil(perMember * (minutes + 2));
    const t0 = t;
    for (const u of users) {
      await db.transaction(async (tx) => {
        for (let k = 0; k < queued; k++) await enqueue(tx, { kind: 'app_message', toUser: u, message: { msgtype: 'text', text: { content: `bench ${u} #${k}` } }, key: `bench:${u}:${k}`, dueAt: t0 - 1000 + k, origin: 'bench' }, t0);
      });
    }
    // Baseline: one message/send round trip (token cached), on the wall clock.
    await wecom.sendAppMessage({ toUser: [baselineUser], msgtype: 'text', text: { content: 'warm-up' } });
    const b0 = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) await wecom.sendAppMessage({ toUser: [baselineUser], msgtype: 'text', text: { content: `baseline ${i}` } });
    const roundTripMs = Number(process.hrtime.bigint() - b0) / 1e6 / 20;
    const w0 = Date.now();
    const end = t0 + minutes * 60_000;
    for (; t < end; t += 1000) await worker.drain();
    const wallS = (Date.now() - w0) / 1000;
    const delivered = sim.state.ledger.filter((d) => d.kind === 'app_message' && String((d.content as { text?: { content?: string } }).text?.content).startsWith('bench ') && d.at >= t0 && d.at < end).length;
    const limit = users.length * perMember * minutes;
    const refused = Number((await metrics.outboxOutcomes.get()).values.filter((v) => v.labels.errcode === '45009').reduce((n, v) => n + v.value, 0));
    const ratio = delivered / limit;
    lines.push(`app messages to ${users.length} members, ${queued} queued each, ${minutes} simulated minutes under the simulator's ${perMember}/min per member (MariaDB)`);
    lines.push(`delivered ${delivered} of a limit of ${limit}: ${ratio.toFixed(3)}x the limit; goal ≥ 0.9x ${ratio >= 0.9 ? 'PASS' : 'MISS'}; 45009 answers: ${refused}`);
    lines.push(`wall time ${wallS.toFixed(1)} s (${Math.round(delivered / wallS)} sends/s); baseline one send round trip ${roundTripMs.toFixed(1)} ms, so ${((wallS * 1000) / (delivered * roundTripMs)).toFixed(1)}x the sends' own time`);
    return lines;
  } finally {
    await sim.stop();
    await ds.destroy();
    await database.drop();
  }
}
