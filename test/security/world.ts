import { fixedClock } from '../../src/clock';
import { careReminders } from '../../src/reminders/care-job';
import { startSimulator, type RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { TEST_WECOM } from '../helpers/wecom-callback';
import { NOW, seedDatabase, simulatorSeed } from '../sidebar/fixture';
import { SidebarClient } from '../sidebar/http';
import type { SidebarWorld } from '../sidebar/world';

/**
 * The real server as `npm start` wires it (every middleware), on the sidebar's seeded corp, with
 * the WeCom simulator answering OAuth code exchanges. "Now" is the fixture's fixed instant.
 */
export interface SecurityWorld {
  app: TestApp;
  sim: RunningSimulator;
  url: string;
  client(): SidebarClient;
  /** A client signed in through OAuth as this rep. */
  as(userId: string): Promise<SidebarClient>;
  stop(): Promise<void>;
}

export const SECRET = 'security-test-session-secret-0123456789';
export const API_TOKEN = 'security-test-api-token-0123456789';

export async function startSecurityWorld(env: Record<string, string> = {}, o: { seed?: boolean } = {}): Promise<SecurityWorld> {
  const sim = await startSimulator({
    port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret,
    callbackToken: TEST_WECOM.token, callbackAesKey: TEST_WECOM.aesKey, seed: simulatorSeed(), callbackUrl: null,
  });
  let app: TestApp;
  try {
    app = await startTestApp({
      clock: fixedClock(NOW),
      env: { WECOM_API_BASE: sim.url, FENCUN_SESSION_SECRET: SECRET, FENCUN_API_TOKEN: API_TOKEN, ...env },
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  if (o.seed !== false) {
    await seedDatabase(app.services);
    await careReminders.run({ now: NOW, log: app.services.log, services: app.services, progress: () => {} });
  }
  const url = app.url;
  const world: SecurityWorld = {
    app, sim, url,
    client: () => new SidebarClient({ url, sim } as unknown as SidebarWorld),
    async as(userId) {
      const c = world.client();
      const res = await c.signIn(userId);
      if (res.status !== 302) throw new Error(`sign-in as ${userId} answered ${res.status}`);
      return c;
    },
    async stop() {
      await app.stop();
      await sim.stop();
    },
  };
  return world;
}

export function bearer(token = API_TOKEN): Record<string, string> {
  return { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
}

/** Rows in a table, for "nothing was written". */
export async function count(app: TestApp, table: string): Promise<number> {
  const [r] = await app.services.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(r.n);
}

/** What a file of security tests works with: set by the hooks securitySuite adds. */
export interface SecuritySuite {
  world: SecurityWorld;
}

/** Jest hooks: one security world (started with `env`, as startSecurityWorld takes it) for the whole file. */
export function securitySuite(env: Record<string, string> = {}): SecuritySuite {
  const suite = {} as SecuritySuite;
  beforeAll(async () => {
    suite.world = await startSecurityWorld(env);
  });
  afterAll(async () => {
    await suite.world?.stop();
  });
  return suite;
}

/**
 * Client addresses under `prefix` (e.g. '198.51.100.'), a fresh one per call, so the per-address
 * rate limits one test spends never leak into another. The world must trust loopback as a proxy
 * (FENCUN_TRUSTED_PROXIES=127.0.0.1) for X-Forwarded-For to count.
 */
export function freshIps(prefix: string): () => string {
  let next = 1;
  return () => `${prefix}${next++}`;
}
