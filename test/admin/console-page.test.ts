import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CONSOLE_DIST } from '../../src/admin/console-static';
import { campaignService } from '../../src/campaigns/service';
import { saveGroupChat } from '../../src/groups/repository';
import { DEFAULT_OUTBOX_CONFIG } from '../../src/outbox/policy';
import { createOutbox } from '../../src/outbox/service';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { DAY, seedCustomers, type SeedCustomer } from '../helpers/seed';
import { adminPost, ledger } from '../outbox/support';
import { launchChromium } from '../sidebar/browser';
import { startTestSimulator } from '../wecom/support';

/**
 * The operators' console in a real browser (Debian chromium) against the real server, the real
 * database (SQLite, or MariaDB with FENCUN_TEST_DB=mariadb) and the WeCom simulator over HTTP:
 * sign-in (local token and WeCom web login through the simulator), campaigns from the audience
 * builder to results and reminders, the group calendar (month, week, drag to reschedule, CSV
 * import with row errors), policy what-if and versions, operations, the audit trail, roles, and
 * the page's budget (size, first render at 4x CPU throttling). Screenshots go to test-artifacts/.
 */

jest.setTimeout(180_000);

const TOKEN = 'console-page-token-0123456789abcdef';
// Monday 2026-03-02 10:00 in Shanghai.
const T0 = '2026-03-02T02:00:00Z';
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');
const DESKTOP = { width: 1440, height: 900 };

const clock = manualClock(T0);
let sim: RunningSimulator;
let app: TestApp;
let browser: Browser;
let reps: string[];
let customersOf: Map<string, string[]>;
/** Two groups per rep: "VIP群 <rep>" and "新品群 <rep>". */
const groupsOf = new Map<string, [string, string]>();
let adminFile: string;
const previousAdminConfig = process.env.FENCUN_ADMIN_CONFIG;

beforeAll(async () => {
  sim = await startTestSimulator({ clock });
  reps = sim.admin.reps().slice(0, 4).map((r) => r.userId);
  // reps[0] admin, reps[1] operator, reps[2] viewer; reps[3] is in no list.
  adminFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fencun-console-')), 'admin.json');
  fs.writeFileSync(adminFile, JSON.stringify({ admins: [reps[0]], operators: [reps[1]], viewers: [reps[2]] }));
  process.env.FENCUN_ADMIN_CONFIG = adminFile;
  const port = await freePort();
  [app, browser] = await Promise.all([
    startTestApp({
      clock,
      env: { WECOM_API_BASE: sim.url, FENCUN_ADMIN_TOKEN: TOKEN, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, FENCUN_SESSION_SECRET: 'console-page-session-secret-0123456789' },
    }),
    launchChromium(),
  ]);
  const now = clock().getTime();
  customersOf = new Map(reps.slice(0, 3).map((r) => [r, [...sim.state.followsByUser.get(r)!.keys()].slice(0, 6)]));
  const seeds: SeedCustomer[] = [];
  for (const [rep, ids] of customersOf) {
    ids.forEach((id, i) => seeds.push({
      id, rep, addedAt: now - 200 * DAY,
      // A spread of stories: buyers (higher tiers), a customer contacted yesterday (caps), the rest quiet.
      orders: i < 2 ? [{ id: `o-${id}`, amount: 12_000 - i * 8_000, at: now - (5 + i * 20) * DAY }] : [],
      inbound: i < 3 ? [now - (2 + i) * DAY] : [],
      touches: i === 2 ? [{ at: now - DAY, category: 'marketing' }] : [],
    }));
  }
  await seedCustomers(app.services.db, seeds, now, { refreshFacts: true });
  await app.services.judgement.tiers.recomputeAll(new Date(now), 'console-test');
  // One customer complains: no marketing until it is handled.
  const complainer = customersOf.get(reps[0])![3];
  await app.services.judgement.complaints.fileByRep({ externalUserId: complainer, userId: reps[0], text: '别再给我发广告了', sourceRef: 'console-test' }, new Date(now - 3_600_000));
  for (const rep of reps.slice(0, 3)) {
    const members = customersOf.get(rep)!.slice(0, 2);
    const a = sim.admin.createGroupChat({ owner: rep, name: `VIP群 ${rep}`, externalUserIds: members }).chatId;
    const b = sim.admin.createGroupChat({ owner: rep, name: `新品群 ${rep}`, externalUserIds: members.slice(0, 1) }).chatId;
    groupsOf.set(rep, [a, b]);
  }
  for (const [chatId, c] of sim.state.groupChats) {
    if (![...groupsOf.values()].flat().includes(chatId)) continue;
    await saveGroupChat(app.services.db, {
      chatId, name: c.name, ownerUserId: c.owner, createdAt: c.createTime * 1000, notice: null,
      members: c.members.map((m) => ({ memberId: m.userId, type: m.type, joinTime: m.joinTime * 1000 })),
    }, { at: now, now, cause: 'test' });
  }
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await sim?.stop();
  if (previousAdminConfig === undefined) delete process.env.FENCUN_ADMIN_CONFIG;
  else process.env.FENCUN_ADMIN_CONFIG = previousAdminConfig;
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = http.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function desktop(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  return { context, page };
}

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(ARTIFACTS, `console-${name}.png`), fullPage, animations: 'disabled' });
}

/** Signs in with the local token, typed and submitted with the keyboard. */
async function signInWithToken(page: Page, hash = ''): Promise<void> {
  await page.goto(`${app.url}/admin/console/${hash}`);
  await page.waitForSelector('[data-test=token-form]');
  await page.focus('#token');
  await page.keyboard.type(TOKEN);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-test=me]');
}

/** A JSON call with the page's own session (same origin, as the page sends it). */
async function pageApi<T>(page: Page, method: 'GET' | 'POST', p: string, body?: unknown): Promise<{ status: number; body: T }> {
  return page.evaluate(async ([m, url, b]) => {
    const res = await fetch(url as string, { method: m as string, headers: { 'Content-Type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b) });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, [method, `/admin/api/${p}`, body] as const) as Promise<{ status: number; body: T }>;
}

/** Waits until the element's text contains `text` (or matches it), and returns that text. */
async function waitText(page: Page, selector: string, text: string | RegExp): Promise<string> {
  const pattern = typeof text === 'string' ? { s: text } : { r: text.source };
  await page.waitForFunction(([sel, p]) => {
    const t = document.querySelector(sel as string)?.textContent ?? '';
    const q = p as { s?: string; r?: string };
    return q.s !== undefined ? t.includes(q.s) : new RegExp(q.r!).test(t);
  }, [selector, pattern] as const, { timeout: 15_000 }).catch(async (err: Error) => {
    throw new Error(`${selector} never showed ${String(text)}; it shows "${await page.textContent(selector).catch(() => null)}" (${err.message.split('\n')[0]})`);
  });
  return (await page.textContent(selector)) ?? '';
}

const outboxRig = () => createOutbox({
  db: app.services.db, wecom: app.services.wecom, clock, log: app.logs.log, metrics: app.services.metrics, timeZone: 'Asia/Shanghai',
  instanceId: 'console-page-test', config: { ...DEFAULT_OUTBOX_CONFIG, massTaskPoll: { everyMinutes: 1, forHours: 72 } }, worker: { heartbeatMs: 0, idlePollMs: 20 },
});

describe('sign-in', () => {
  it('should refuse a wrong token with a sentence, sign in with the right one, and sign out', async () => {
    const { context, page } = await desktop();
    await page.goto(`${app.url}/admin/console/`);
    await page.waitForSelector('[data-test=sign-in]');
    expect(await page.getAttribute('[data-test=qr-login]', 'href')).toBe('/admin/auth/wecom/start?to=%2Fadmin%2Fconsole%2F');
    await shot(page, 'sign-in');
    await page.fill('#token', 'not-the-token-at-all');
    await page.press('#token', 'Enter');
    await expect(page.textContent('#token-error')).resolves.toBe('管理口令不正确。');
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.waitForSelector('[data-test=me]');
    expect(await page.textContent('[data-test=me]')).toContain('管理员');
    await page.click('[data-test=sign-out]');
    await page.waitForSelector('[data-test=sign-in]');
    expect((await pageApi(page, 'GET', 'me')).status).toBe(401);
    await context.close();
  });

  it('should sign in a listed member through WeCom web login (the simulator) and refuse one in no list', async () => {
    const { context, page } = await desktop();
    await page.goto(`${app.url}/admin/console/`);
    await page.click('[data-test=qr-login]');
    // The simulator's stand-in for WeCom's QR page lists the corp's members to "scan" as.
    await page.waitForURL((u) => u.href.startsWith(sim.url));
    await shot(page, 'wwlogin-simulator');
    await page.click(`a[href*="${reps[1]}"], button[value="${reps[1]}"], [data-user="${reps[1]}"]`);
    await page.waitForSelector('[data-test=me]');
    expect(page.url()).toBe(`${app.url}/admin/console/`);
    expect(await page.textContent('[data-test=me]')).toContain('运营');
    await context.close();

    const outsider = await desktop();
    await outsider.page.goto(`${app.url}/admin/console/`);
    await outsider.page.click('[data-test=qr-login]');
    await outsider.page.waitForURL((u) => u.href.startsWith(sim.url));
    const [res] = await Promise.all([
      outsider.page.waitForResponse((r) => r.url().includes('/admin/auth/wecom/callback')),
      outsider.page.click(`a[href*="${reps[3]}"], button[value="${reps[3]}"], [data-user="${reps[3]}"]`),
    ]);
    expect(res.status()).toBe(403);
    await outsider.context.close();
  });
});

describe('campaigns', () => {
  let page: Page;
  let context: BrowserContext;
  let campaignId: number;
  beforeAll(async () => {
    ({ context, page } = await desktop());
    await signInWithToken(page, '#/campaigns');
  });
  afterAll(() => context.close());

  it('should count the audience live as filters change, and create a campaign from the keyboard', async () => {
    await page.waitForSelector('[data-test=campaign-form]');
    const count = (text: string) => waitText(page, '[data-test=audience-count]', text);
    // Customers are people: one followed by two members counts once.
    const everyone = new Set([...customersOf.values()].flat()).size;
    const twoReps = new Set([...customersOf.get(reps[0])!, ...customersOf.get(reps[1])!]).size;
    await count(`符合条件 ${everyone} 位客户`);
    await page.fill('[data-test=c-owners]', `${reps[0]}, ${reps[1]}`);
    await count(`符合条件 ${twoReps} 位客户`);
    await page.check('[data-test=tier-key]');
    const key = (await pageApi<{ count: number }>(page, 'POST', 'campaigns/audience-count', { owners: [reps[0], reps[1]], tiers: ['key'] })).body.count;
    expect(key).toBeGreaterThan(0);
    expect(key).toBeLessThan(twoReps);
    await count(`符合条件 ${key} 位客户`);
    await page.uncheck('[data-test=tier-key]');
    await count(`符合条件 ${twoReps} 位客户`);

    await page.fill('[data-test=c-name]', '三月新品上市');
    await page.fill('[data-test=c-text]', '您好，三月新品已经到店，欢迎来试用。');
    await page.fill('[data-test=c-start]', '2026-03-02T11:00');
    await page.fill('[data-test=c-end]', '2026-03-05T11:00');
    await page.fill('input[type=number][min="1"][max="100000"]', '2');
    await shot(page, 'campaign-builder');
    // Enter in a field submits the form, as any form does.
    await page.press('[data-test=c-owners]', 'Enter');
    await page.waitForSelector('[data-test=c-plan-view], [data-test=campaign-form] .error:not(:empty)');
    expect(await page.locator('[data-test=campaign-form] .error').allTextContents().catch(() => [])).toEqual([]);
    const { body: list } = await pageApi<{ campaigns: { id: number; name: string; creator: string }[] }>(page, 'GET', 'campaigns');
    expect(list.campaigns[0]).toMatchObject({ name: '三月新品上市', creator: 'local-admin' });
    campaignId = list.campaigns[0].id;
  });

  it('should show the plan with per-reason counts as the server computed them, and sample customers per reason', async () => {
    const { body } = await pageApi<{ campaign: { lastPlan: { audience: number; admitted: number; deferred: Record<string, number>; excluded: Record<string, number>; samples: Record<string, { externalUserId: string }[]> } } }>(page, 'GET', `campaigns/${campaignId}`);
    const plan = body.campaign.lastPlan;
    expect(await page.textContent('[data-test=plan-audience]')).toBe(String(plan.audience));
    expect(await page.textContent('[data-test=plan-admitted]')).toBe(String(plan.admitted));
    // The complaint is excluded; 2 per member per day over 3 days defers the rest to later days.
    expect(plan.excluded.COMPLAINT_OPEN).toBe(1);
    expect(plan.deferred.SCHEDULE_FULL).toBeGreaterThan(0);
    for (const [code, n] of [...Object.entries(plan.deferred), ...Object.entries(plan.excluded)]) {
      const row = page.locator(`[data-test=plan-reasons] tr[data-reason=${code}]`);
      await expect(row.locator('td.n').textContent()).resolves.toBe(String(n));
    }
    expect(await page.textContent('[data-test=plan-reasons] tr[data-reason=COMPLAINT_OPEN]')).toContain('投诉处理中');
    await page.click('[data-test=samples-COMPLAINT_OPEN]');
    const samples = await page.textContent('.samples');
    expect(samples).toContain(customersOf.get(reps[0])![3]);
    await shot(page, 'campaign-plan', true);
  });

  it('should approve, show results as WeCom reports them, and remind members who have not sent', async () => {
    await page.click('[data-test=c-approve]');
    await waitText(page, '[data-test=c-status]', '已批准');
    expect(await page.textContent('[data-test=c-notice]')).toContain('已批准');
    // The first batches are due at 11:00.
    clock.advance(75 * 60_000);
    await campaignService(app.services).dispatch(clock());
    const outbox = outboxRig();
    await outbox.worker.drain();
    // reps[0] sends their task in WeCom; reps[1] has not yet.
    const rows = await app.services.db.query<{ msgid: string }>(
      'SELECT wecom_msgid AS msgid FROM outbox_intents WHERE idem_key LIKE ? AND wecom_msgid IS NOT NULL', [`campaign:${campaignId}:%`]);
    const msgIds = rows.map((r) => r.msgid);
    const tasks = (await ledger(sim, 'mass_task')).filter((r) => msgIds.includes(r.ref));
    expect(new Set(tasks.map((t) => t.sender))).toEqual(new Set([reps[0], reps[1]]));
    const first = tasks.find((t) => t.sender === reps[0])!;
    await adminPost(sim, `/msg-templates/${first.ref}/confirm`, { userId: reps[0] });
    clock.advance(2 * 60_000);
    await outbox.worker.drain();
    await campaignService(app.services).track(clock());
    const { body } = await pageApi<{ results: Record<string, number> }>(page, 'GET', `campaigns/${campaignId}`);
    expect(body.results.sent).toBeGreaterThan(0);
    // Selecting the campaign again reads the results (the page also refreshes an approved campaign every 15 s).
    await page.click(`[data-test=campaign-${campaignId}]`);
    await waitText(page, '[data-test=c-results] [data-result=sent] b', new RegExp(`^${body.results.sent}$`));
    await page.click('[data-test=c-remind]');
    await waitText(page, '[data-test=c-notice]', /已提醒 \d+ 位成员|没有需要提醒的成员/);
    expect(await page.textContent('[data-test=c-notice]')).toContain(reps[1]);
    await shot(page, 'campaigns', true);
  });
});
