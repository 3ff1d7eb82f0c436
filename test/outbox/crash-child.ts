/**
 * A worker process for the kill -9 test (crash.test.ts). It drains the outbox once and exits; when
 * CRASH_AT names a hook point it SIGKILLs itself there on the first send that is not resolving an
 * earlier attempt. The crash is this test script's doing, through the worker's test hooks: the
 * production worker has no such switch. The clock is fixed: CLOCK_START_MS (the test's instant)
 * plus CLOCK_OFFSET_MS, which moves it forward per round (a restart after the crashed claim's
 * lease ran out).
 */
import { parseDatabaseUrl } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { Metrics } from '../../src/ops/metrics';
import { DEFAULT_OUTBOX_CONFIG } from '../../src/outbox/policy';
import { createOutbox } from '../../src/outbox/service';
import type { OutboxIntent } from '../../src/outbox/types';
import { WecomClient } from '../../src/wecom/client';
import { captureLog } from '../helpers/logs';
import { wecomConfig } from '../wecom/support';

async function main(): Promise<void> {
  const env = process.env;
  const at = Number(env.CLOCK_START_MS) + Number(env.CLOCK_OFFSET_MS ?? 0);
  if (!Number.isFinite(at)) throw new Error('crash-child needs CLOCK_START_MS (epoch ms)');
  const clock = () => new Date(at);
  const ds = createDataSource(parseDatabaseUrl(env.DATABASE_URL!)!);
  await ds.initialize();
  const db = new Database(ds);
  const { log } = captureLog('silent');
  const metrics = new Metrics();
  const wecom = new WecomClient({ config: wecomConfig(env.SIM_URL!), db, clock, log, metrics, retry: { baseDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 2_000 });
  const crashAt = env.CRASH_AT;
  const crash = (point: string) => (i: OutboxIntent) => {
    // A first attempt only: a resend that resolves an earlier crash must get through.
    if (crashAt === point && i.doubtSince === null) {
      process.stdout.write(`crash ${point} ${i.id}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  };
  const { worker } = createOutbox({
    db, wecom, clock, log, metrics, timeZone: 'Asia/Shanghai', instanceId: `child-${process.pid}`,
    config: { ...DEFAULT_OUTBOX_CONFIG, repDailyCap: 1000 },
    worker: { leaseMs: Number(env.LEASE_MS), heartbeatMs: 0, concurrency: 1, idlePollMs: 20 },
    hooks: { afterMark: crash('afterMark'), afterSend: crash('afterSend') },
  });
  await worker.drain();
  await ds.destroy();
  process.stdout.write('drained\n');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
