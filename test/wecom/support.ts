import { systemClock } from '../../src/clock';
import type { WecomConfig } from '../../src/config';
import { parseDatabaseUrl } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { migrateWithLock } from '../../src/db/migrate';
import { Metrics } from '../../src/ops/metrics';
import { WecomClient, WecomClientOptions } from '../../src/wecom/client';
import { RunningSimulator, SimulatorOptions, startSimulator } from '../../src/wecom-simulator';
import { captureLog, CapturedLog } from '../helpers/logs';
import { createTestDatabase, TestDatabase } from '../helpers/db';
import { TEST_WECOM } from '../helpers/wecom-callback';

/** A migrated test database (SQLite or MariaDB per FENCUN_TEST_DB) opened as Fencun opens it. */
export interface OpenDb {
  db: Database;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function openTestDb(): Promise<OpenDb> {
  const database = await createTestDatabase();
  const ds = createDataSource(parseDatabaseUrl(database.url)!);
  await ds.initialize();
  await migrateWithLock(ds, captureLog('silent').log);
  const db = new Database(ds);
  return {
    db, database,
    async close() {
      await ds.destroy();
      await database.drop();
    },
  };
}

/** The simulator with the test corp's credentials, a small seeded corp and fast callback retries. */
export function startTestSimulator(o: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  return startSimulator({
    port: 0,
    corpId: TEST_WECOM.corpId,
    agentId: TEST_WECOM.agentId,
    secret: TEST_WECOM.secret,
    callbackToken: TEST_WECOM.token,
    callbackAesKey: TEST_WECOM.aesKey,
    seed: { seed: 42, reps: 6, customers: 60, teamSize: 3 },
    callbackTimeoutMs: 2_000,
    callbackRetryDelayMs: 10,
    ...o,
  });
}

export function wecomConfig(apiBase: string, over: Partial<WecomConfig> = {}): WecomConfig {
  return {
    corpId: TEST_WECOM.corpId,
    agentId: Number(TEST_WECOM.agentId),
    agentSecret: TEST_WECOM.secret,
    callbackToken: TEST_WECOM.token,
    callbackAesKey: TEST_WECOM.aesKey,
    apiBase,
    ...over,
  };
}

export interface TestClient {
  sut: WecomClient;
  logs: CapturedLog;
  metrics: Metrics;
}

/** A client against the simulator with millisecond backoffs, so retry tests stay fast. */
export function makeClient(db: Database, sim: RunningSimulator, o: Partial<WecomClientOptions> & { secret?: string } = {}): TestClient {
  const logs = captureLog();
  const metrics = new Metrics();
  const { secret, ...rest } = o;
  const sut = new WecomClient({
    config: wecomConfig(sim.url, secret ? { agentSecret: secret } : {}),
    db, clock: systemClock, log: logs.log, metrics,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    timeoutMs: 2_000,
    ...rest,
  });
  return { sut, logs, metrics };
}

/** The rep with the most customers in the seeded corp. */
export function busiestRep(sim: RunningSimulator): string {
  return sim.admin.reps()[0].userId;
}
