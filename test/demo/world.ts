import { offsetClock } from '../../src/demo/clock';
import { DEMO_CORP_SIZE } from '../../src/demo/corp';
import { seedDemo, type DemoSeedSummary } from '../../src/demo/seed';
import { ensureSidebarBuilt } from '../../src/sidebar-api/build';
import { startSimulator, type RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { TEST_WECOM } from '../helpers/wecom-callback';

/**
 * The demo as `npm run demo` builds it, on a temporary database: the demo corp in the simulator,
 * the real Fencun server against it, one corp clock for both, and the demo's seeding.
 */
export interface DemoWorld {
  app: TestApp;
  sim: RunningSimulator;
  url: string;
  summary: DemoSeedSummary;
  /** Moves the corp clock (simulator and Fencun alike) by this much from now on. */
  shift(ms: number): void;
  stop(): Promise<void>;
}

export const DEMO_API_TOKEN = 'demo-test-api-token-0123456789';

export async function startDemoWorld(start: Date): Promise<DemoWorld> {
  const base = offsetClock(start);
  let shift = 0;
  const clock = () => new Date(base().getTime() + shift);
  const sim = await startSimulator({
    port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret,
    callbackToken: TEST_WECOM.token, callbackAesKey: TEST_WECOM.aesKey, seed: DEMO_CORP_SIZE, clock, callbackUrl: null,
  });
  let app: TestApp;
  try {
    app = await startTestApp({
      clock,
      env: {
        WECOM_API_BASE: sim.url, FENCUN_API_TOKEN: DEMO_API_TOKEN,
        FENCUN_DEMO: '1', FENCUN_SESSION_SECRET: 'demo-test-session-secret-0123456789',
      },
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  sim.admin.setCallbackUrl(`${app.url}/wecom/callback`);
  // The simulator's callbacks and this test's requests share Node's fetch pool: a socket left idle
  // past the server's 5 s keep-alive while a job runs can be closed just as the next request takes
  // it (ECONNRESET). Keep idle sockets open longer than any seeding step.
  app.running.server.keepAliveTimeout = 120_000;
  // The page is built once for every test file (under a lock); an API request must not wait behind it.
  const [summary] = await Promise.all([
    seedDemo({ services: app.services, jobs: app.running.jobs, url: app.url, apiToken: DEMO_API_TOKEN, sim }),
    ensureSidebarBuilt(),
  ]);
  return {
    app, sim, url: app.url.replace('localhost', '127.0.0.1'), summary,
    shift(ms) {
      shift += ms;
    },
    async stop() {
      await sim.stop();
      await app.stop();
    },
  };
}
