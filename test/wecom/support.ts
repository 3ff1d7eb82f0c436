import { systemClock } from '../../src/clock';
import type { WecomConfig } from '../../src/config';
import { parseDatabaseUrl } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { migrateWithLock } from '../../src/db/migrate';
import { Metrics } from '../../src/ops/metrics';
import { WecomClient, WecomClientOptions } from '../../src/wecom/client';
import { RunningSimulator, SimulatorOptions, startSimulator } from '../../src/wecom-simulator';
import { manualClock, type ManualClock } from '../helpers/clock';
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

/** What a file of simulator tests works with: set by the hooks simulatorSuite adds. */
export interface SimulatorSuite {
  store: OpenDb;
  sim: RunningSimulator;
  /** The manual clock Fencun and the simulator share (with `clockAt` only). */
  clock: ManualClock;
}

/**
 * Jest hooks for a file of tests against the simulator: one migrated database for the file and a
 * simulator started fresh for each test, with no stored token, as on a new database. With
 * `perFile` one simulator serves the whole file instead, its faults cleared after each test. Held
 * answers are released after each test either way, so a test that holds one cannot stall the next
 * or the stop. `clockAt` gives Fencun and the simulator one manual clock from that instant (a new
 * one with each simulator), so WeCom's windows never depend on the machine's time.
 */
export function simulatorSuite(o: { perFile?: boolean; clockAt?: string } = {}): SimulatorSuite {
  const suite = {} as SimulatorSuite;
  async function start(): Promise<void> {
    if (o.clockAt) suite.clock = manualClock(o.clockAt);
    suite.sim = await startTestSimulator(o.clockAt ? { clock: suite.clock } : {});
  }
  beforeAll(async () => {
    suite.store = await openTestDb();
    if (o.perFile) await start();
  });
  afterAll(async () => {
    if (o.perFile) await suite.sim?.stop();
    await suite.store?.close();
  });
  if (o.perFile) {
    afterEach(() => {
      suite.sim.admin.clearFaults();
      suite.sim.admin.releaseHeld();
    });
  } else {
    beforeEach(async () => {
      await start();
      await suite.store.db.exec('DELETE FROM wecom_tokens');
    });
    afterEach(async () => {
      suite.sim.admin.releaseHeld();
      await suite.sim.stop();
    });
  }
  return suite;
}

/** The welcome_sends row of a welcome code: what Fencun recorded of that welcome. */
export async function welcomeRow(db: Database, code: string): Promise<{ status: string; error: string | null }> {
  return (await db.query<{ status: string; error: string | null }>('SELECT status, error FROM welcome_sends WHERE welcome_code = ?', [code]))[0];
}
