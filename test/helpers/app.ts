import { startFencun, RunningFencun, FencunOptions } from '../../src/app';
import type { Clock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { captureLog, CapturedLog } from './logs';
import { createTestDatabase, TestDatabase } from './db';
import { TEST_WECOM_ENV } from './wecom-callback';

export interface TestApp {
  url: string;
  running: RunningFencun;
  services: RunningFencun['services'];
  logs: CapturedLog;
  database: TestDatabase;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  clock?: Clock;
  env?: Record<string, string>;
  processor?: FencunOptions['processor'];
  /** The background inbox worker; off by default so tests drive processing explicitly. */
  runProcessor?: boolean;
  /** Reuse an existing database (several instances side by side). */
  database?: TestDatabase;
  /** false: only the inbox's own audit handler (tests of the inbox mechanism). */
  capabilities?: boolean;
}

/** Starts the real Fencun HTTP server on a random port against a fresh test database. */
export async function startTestApp(o: TestAppOptions = {}): Promise<TestApp> {
  const database = o.database ?? (await createTestDatabase());
  const logs = captureLog();
  const config = loadConfig({
    ...TEST_WECOM_ENV,
    WECOM_API_BASE: 'http://127.0.0.1:9',
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    FENCUN_INSTANCE_ID: `test-${Math.random().toString(36).slice(2, 8)}`,
    ...o.env,
  });
  const running = await startFencun(config, {
    clock: o.clock,
    log: logs.log,
    processor: { idlePollMs: 50, ...o.processor },
    runJobs: false,
    runProcessor: o.runProcessor ?? false,
    capabilities: o.capabilities,
  });
  return {
    url: running.url,
    running,
    services: running.services,
    logs,
    database,
    async stop() {
      await running.stop();
      if (!o.database) await database.drop();
    },
  };
}
