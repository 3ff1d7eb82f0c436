import http from 'node:http';
import type { Browser } from 'playwright-core';
import { listenOnFreePort, freePort } from '../helpers/listen';
import Koa from 'koa';
import { errorHandler } from '../../src/http/middleware/error-handler';
import { requestContext } from '../../src/http/middleware/request-context';
import type { ReminderSource, SidebarReminder } from '../../src/sidebar-api/reminders-port';
import { sidebarRoutes } from '../../src/sidebar-api/routes';
import type { SidebarSettings } from '../../src/sidebar-api/sidebar-config';
import { startSimulator, type RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock, type ManualClock } from '../helpers/clock';
import { TEST_WECOM } from '../helpers/wecom-callback';
import { launchChromium } from './browser';
import { CUSTOMERS, NOW, REPS, seedDatabase, simulatorSeed } from './fixture';

/**
 * The real Fencun server (startTestApp) on the seeded corp, with the sidebar routes served on its
 * port, talking to the WeCom simulator. The app's clock is manual (session expiry); the
 * simulator keeps real time (OAuth codes live 5 minutes).
 */
export interface SidebarWorld {
  app: TestApp;
  sim: RunningSimulator;
  clock: ManualClock;
  url: string;
  reminders: MemoryReminders;
  /** OAuth: who WeCom says is signing in (the simulator issues the code for them). */
  signInAs: { userId: string };
  /** How many times the OAuth authorize page was visited. */
  authorizeHits: number;
  /** Origin of the stand-in for WeCom's OAuth2 authorize page. */
  authorizeBase: string;
  stop(): Promise<void>;
}

/** What a file of phone tests works with: set by the hooks phoneSuite adds. */
export interface PhoneSuite {
  world: SidebarWorld;
  browser: Browser;
}

/**
 * Jest hooks for a file (or a describe) of tests on a phone: the sidebar world (started with `o`)
 * and Chromium, launched together before the tests and closed after them. Each test starts with
 * 李娜 signing in, as a new world does, so a test that signs in as someone else cannot leak it.
 */
export function phoneSuite(o: Parameters<typeof startSidebarWorld>[0] = {}): PhoneSuite {
  const suite = {} as PhoneSuite;
  beforeAll(async () => {
    [suite.world, suite.browser] = await Promise.all([startSidebarWorld(o), launchChromium()]);
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.world?.stop();
  });
  beforeEach(() => {
    suite.world.signInAs.userId = REPS.lina;
  });
  return suite;
}

export const SESSION_SECRET = 'sidebar-test-session-secret-0123456789';

export async function startSidebarWorld(o: { demo?: boolean; settings?: Partial<SidebarSettings>; storeReminders?: boolean } = {}): Promise<SidebarWorld> {
  const sim = await startSimulator({
    port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret,
    callbackToken: TEST_WECOM.token, callbackAesKey: TEST_WECOM.aesKey, seed: simulatorSeed(), callbackUrl: null,
  });
  const clock = manualClock(NOW);
  let app: TestApp;
  try {
    const port = await freePort();
    app = await startTestApp({
      clock,
      env: {
        WECOM_API_BASE: sim.url, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        FENCUN_SESSION_SECRET: SESSION_SECRET, ...(o.demo ? { FENCUN_DEMO: '1' } : {}),
      },
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  const s = app.services;
  let world: SidebarWorld;
  await seedDatabase(s);
  const reminders = new MemoryReminders();
  reminders.add({ id: 'r-zhou-1', externalUserId: CUSTOMERS.zhou, userId: REPS.zhangwei, title: '回访：舒缓面膜使用感受', dueAt: new Date(NOW.getTime() - 3_600_000),
    message: '周婷您好，上次的舒缓面膜用了一段时间了，皮肤感觉怎么样？' });
  // What the care-reminders job makes for 陈静's order four days ago (post-sale step 1, due yesterday 09:00).
  reminders.add({ id: 'r-chen-care', kind: 'post_sale_care', externalUserId: CUSTOMERS.chen, userId: REPS.lina, title: '售后关怀：山茶花精华套装',
    dueAt: new Date(NOW.getTime() - 86_400_000 - 1.5 * 3_600_000), message: '陈姐您好，山茶花精华套装收到有几天了，用着还顺手吗？有任何不清楚的地方随时问我。' });
  reminders.add({ id: 'r-chen-1', externalUserId: CUSTOMERS.chen, userId: REPS.lina, title: '4月母亲生日：推荐礼盒', dueAt: new Date(NOW.getTime() + 3 * 86_400_000) });

  const koa = new Koa({ proxy: true });
  koa.silent = true;
  koa.use(requestContext(s.log, s.metrics));
  koa.use(errorHandler());
  const authorize = await serveAuthorizePage(() => world, s.config.wecom.corpId);
  const router = sidebarRoutes({
    config: s.config, db: s.db, clock: s.clock, log: s.log, wecom: s.wecom, judgement: s.judgement,
    // storeReminders: the reminders module's own store, as the app wires it (the rep's follow-up reminders are rows there).
    reminders: o.storeReminders ? s.reminders : reminders, settings: { oauthAuthorizeBase: authorize.url, ...o.settings },
  });
  koa.use(router.routes()).use(router.allowedMethods());
  // Serve the sidebar on the app's own port and public URL, as the lead's wiring will.
  app.running.server.removeAllListeners('request');
  app.running.server.on('request', koa.callback());

  world = {
    app, sim, clock, url: app.url.replace('localhost', '127.0.0.1'), reminders, signInAs: { userId: REPS.lina }, authorizeHits: 0,
    authorizeBase: authorize.url,
    async stop() {
      await authorize.stop();
      await sim.stop();
      await app.stop();
    },
  };
  return world;
}

/**
 * A stand-in for WeCom's OAuth2 authorize page (open.weixin.qq.com/connect/oauth2/authorize,
 * API.md 4.18): for a member and snsapi_base it redirects straight back to redirect_uri with a
 * fresh single-use code (issued by the simulator, which then answers auth/getuserinfo) and the
 * state unchanged.
 */
async function serveAuthorizePage(world: () => SidebarWorld, corpId: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const redirect = u.searchParams.get('redirect_uri');
    if (u.pathname !== '/connect/oauth2/authorize' || u.searchParams.get('appid') !== corpId || !redirect
      || u.searchParams.get('scope') !== 'snsapi_base' || u.searchParams.get('response_type') !== 'code') {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad authorize request');
      return;
    }
    const w = world();
    w.authorizeHits++;
    const back = new URL(redirect);
    back.searchParams.set('code', w.sim.admin.issueOAuthCode({ userId: w.signInAs.userId }));
    back.searchParams.set('state', u.searchParams.get('state') ?? '');
    res.writeHead(302, { Location: back.toString() }).end();
  });
  return listenOnFreePort(server);
}

/** Reminders as the reminders module will provide them (capability 7), kept in memory. */
export class MemoryReminders implements ReminderSource {
  readonly items = new Map<string, SidebarReminder & { state: 'open' | 'done'; log: string[] }>();

  add(r: SidebarReminder): void {
    this.items.set(r.id, { ...r, state: 'open', log: [] });
  }

  async openFor(externalUserId: string, userIds: string[]): Promise<SidebarReminder[]> {
    return [...this.items.values()]
      .filter((r) => r.state === 'open' && r.externalUserId === externalUserId && userIds.includes(r.userId))
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  async find(id: string): Promise<SidebarReminder | null> {
    return this.items.get(id) ?? null;
  }

  async done(id: string, by: string): Promise<void> {
    const r = this.items.get(id)!;
    r.state = 'done';
    r.log.push(`done by ${by}`);
  }

  async snooze(id: string, by: string, until: Date): Promise<void> {
    const r = this.items.get(id)!;
    r.dueAt = until;
    r.log.push(`snoozed by ${by} until ${until.toISOString()}`);
  }
}
