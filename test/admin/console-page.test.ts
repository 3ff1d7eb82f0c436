import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CONSOLE_DIST } from '../../src/admin/console-static';
import { campaignService } from '../../src/campaigns/service';
import { saveMembers } from '../../src/contacts/members';
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
import { freePort } from '../helpers/listen';

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
    await page.click(`a[data-userid="${reps[1]}"]`);
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
      outsider.page.click(`a[data-userid="${reps[3]}"]`),
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

describe('group content calendar', () => {
  let page: Page;
  let context: BrowserContext;
  const ids: Record<string, number> = {};
  /** The reps' names as the contacts sync stores them (members), by userid. */
  const repName = new Map<string, string>();
  /** A WeCom group without a name (allowed), and a chat id Fencun has not synced. */
  let unnamed: string;
  const notSynced = 'wrNotSyncedYet0123456789abcdef';
  beforeAll(async () => {
    const now = clock().getTime();
    const users = reps.slice(0, 3).map((u) => sim.state.users.get(u)!);
    for (const u of users) repName.set(u.userId, u.name);
    await saveMembers(app.services.db, users.map((u) => ({ userId: u.userId, name: u.name, departmentIds: u.departments, isLeader: false, directLeaders: [] })), new Map(), null, now);
    unnamed = sim.admin.createGroupChat({ owner: reps[2], name: '', externalUserIds: customersOf.get(reps[2])!.slice(0, 1) }).chatId;
    const c = sim.state.groupChats.get(unnamed)!;
    await saveGroupChat(app.services.db, { chatId: unnamed, name: '', ownerUserId: reps[2], createdAt: c.createTime * 1000, notice: null,
      members: c.members.map((m) => ({ memberId: m.userId, type: m.type, joinTime: m.joinTime * 1000 })) }, { at: now, now, cause: 'test' });
    ({ context, page } = await desktop());
    await signInWithToken(page, '#/campaigns');
    const create = async (key: string, body: Record<string, unknown>) => {
      const res = await pageApi<{ id: number }>(page, 'POST', 'group-posts', { content: { text: `${body.name}` }, ...body });
      expect(res.status).toBe(201);
      ids[key] = res.body.id;
    };
    // Tuesday: two posts to the VIP groups; the day cap (1 per group) moves the second.
    await create('morning', { name: '新品预告', target: { namePattern: 'VIP群*' }, schedule: { at: '2026-03-03T10:00:00+08:00' } });
    await create('afternoon', { name: '下午茶福利', target: { namePattern: 'VIP群*' }, schedule: { at: '2026-03-03T15:00:00+08:00' }, moveWithinHours: 48 });
    // A weekly series on Thursdays.
    await create('weekly', { name: '每周护肤小课堂', target: { namePattern: '新品群*' }, schedule: { series: { days: [4], time: '19:00', from: '2026-03-02', until: '2026-03-31' } } });
    // By chat id: one group without a name, one Fencun has never synced (skipped: not found).
    await create('byId', { name: '群公告提醒', target: { chatIds: [unnamed, notSynced] }, schedule: { at: '2026-03-10T10:00:00+08:00' } });
    await page.click('[data-test=nav-calendar]');
  });
  afterAll(() => context.close());

  it('should show the month with each post on its day, moved sends flagged with their reason, and the per-group cap status', async () => {
    await page.waitForSelector(`[data-test=chip-${ids.morning}]`);
    expect(await page.textContent('[data-test=cal-title]')).toBe('2026年3月');
    expect(await page.locator(`[data-day="2026-03-03"] [data-test=chip-${ids.morning}]`).count()).toBe(1);
    expect(await page.locator(`[data-day="2026-03-03"] [data-test=chip-${ids.afternoon}]`).count()).toBe(1);
    // Thursdays 5, 12, 19, 26.
    for (const d of ['05', '12', '19', '26']) expect(await page.locator(`[data-day="2026-03-${d}"] [data-test=chip-${ids.weekly}]`).count()).toBe(1);
    const afternoon = page.locator(`[data-day="2026-03-03"] [data-test=chip-${ids.afternoon}]`);
    expect(await afternoon.getAttribute('class')).toMatch(/warn|bad/);
    expect(await afternoon.textContent()).toMatch(/3 群 · 3 (顺延|跳过)/);
    // The cap table: every VIP group has one on time and one moved (or skipped) this month.
    const vip = groupsOf.get(reps[0])![0];
    const row = page.locator(`[data-test=group-caps] tr[data-chat="${vip}"]`);
    expect(await row.textContent()).toContain('今天的次数已用完');
    // Groups by name and owner; the chat id only in the tooltip; a sentence for groups without a name.
    expect(await row.textContent()).toContain(`VIP群 ${reps[0]}`);
    expect(await row.textContent()).toContain(`群主 ${repName.get(reps[0])}`);
    expect(await row.locator('[title]').first().getAttribute('title')).toContain(vip);
    expect(await page.textContent(`[data-test=group-caps] tr[data-chat="${unnamed}"]`)).toContain(`未命名群（群主 ${repName.get(reps[2])}）`);
    expect(await page.textContent(`[data-test=group-caps] tr[data-chat="${notSynced}"]`)).toContain('未同步的群');
    const table = (await page.textContent('[data-test=group-caps]'))!;
    for (const chatId of [...[...groupsOf.values()].flat(), unnamed, notSynced]) expect(table).not.toContain(chatId);
    await shot(page, 'calendar');

    await afternoon.click();
    const sends = (await page.textContent('[data-test=post-sends]'))!;
    expect(sends).toMatch(/将顺延|将跳过/);
    expect(sends).toContain('今天的次数已用完');
    for (const rep of reps.slice(0, 3)) {
      expect(sends).toContain(`VIP群 ${rep}`);
      expect(sends).not.toContain(groupsOf.get(rep)![0]);
    }
    await shot(page, 'calendar-post');
    // On time, the owner by name beside the group's name.
    await page.click(`[data-day="2026-03-03"] [data-test=chip-${ids.morning}]`);
    await waitText(page, '[data-test=post-sends]', `VIP群 ${reps[1]}`);
    expect(await page.textContent(`[data-test=post-sends] li[data-chat="${groupsOf.get(reps[1])![0]}"]`)).toContain(`群主 ${repName.get(reps[1])}`);
  });

  it('should reschedule by dragging a post to another day, keeping its time', async () => {
    await page.dragAndDrop(`[data-day="2026-03-03"] [data-test=chip-${ids.morning}]`, '[data-day="2026-03-06"]');
    await waitText(page, '[data-test=cal-notice]', '已改期到 2026-03-06 10:00');
    await page.waitForSelector(`[data-day="2026-03-06"] [data-test=chip-${ids.morning}]`);
    const { body } = await pageApi<{ post: { schedule: { at: string } } }>(page, 'GET', `group-posts/${ids.morning}`);
    expect(Date.parse(body.post.schedule.at)).toBe(Date.parse('2026-03-06T10:00:00+08:00'));
    // With the morning post gone from Tuesday, the afternoon one goes out on time.
    await page.waitForFunction((sel) => !/warn|bad/.test(document.querySelector(sel)?.className ?? 'warn'), `[data-day="2026-03-03"] [data-test=chip-${ids.afternoon}]`);
    // A series cannot be dragged to a new day: the server says why, the page shows it.
    await page.dragAndDrop(`[data-day="2026-03-12"] [data-test=chip-${ids.weekly}]`, '[data-day="2026-03-13"]');
    const refusal = await waitText(page, '[data-test=cal-error]', /./);
    expect(refusal.length).toBeGreaterThan(6);
  });

  it('should reschedule from the keyboard in the side panel, and show the week view', async () => {
    await page.click(`[data-test=chip-${ids.afternoon}]`);
    await page.fill('[data-test=move-to]', '2026-03-04T16:30');
    await page.press('[data-test=move-to]', 'Enter');
    await waitText(page, '[data-test=cal-notice]', '已改期到 2026-03-04 16:30');
    await page.click('[data-test=view-week]');
    await waitText(page, '[data-test=cal-title]', '3月2日 – 3月8日');
    expect(await page.locator('.cal-day').count()).toBe(7);
    await page.waitForSelector(`[data-day="2026-03-04"] [data-test=chip-${ids.afternoon}]`);
    await shot(page, 'calendar-week');
    await page.click('[data-test=view-month]');
  });

  it('should create a post from the form, and import a CSV only when every row is right, listing each bad row', async () => {
    await page.click('[data-test=new-post]');
    await page.fill('[data-test=p-name]', '周末闪购');
    await page.fill('[data-test=p-pattern]', '新品群*');
    await page.fill('[data-test=p-text]', '周末闪购，群内专享价。');
    await page.fill('[data-test=p-at]', '2026-03-07T11:00');
    // No group picker: the 群 ID field says what a chat id is and where to see one.
    expect(await page.textContent('#p-chat-ids-hint')).toContain('chat_id');
    await shot(page, 'calendar-new-post');
    await page.press('[data-test=p-at]', 'Enter');
    await waitText(page, '[data-test=cal-notice]', '已创建“周末闪购”');
    await page.waitForSelector('[data-day="2026-03-07"] .chip');

    const before = (await pageApi<{ sends: unknown[] }>(page, 'GET', 'group-posts?view=month&date=2026-03-02')).body.sends.length;
    await page.click('[data-test=import-csv]');
    const csv = [
      'name,at,name_pattern,text,creator',
      '春分茶话,2026-03-20T10:00:00+08:00,VIP群*,春分快乐,ops',
      '错的时间,2026-03-32 10:00,VIP群*,时间不对,ops',
      '没有内容,2026-03-21T10:00:00+08:00,VIP群*,,ops',
    ].join('\n');
    await page.fill('[data-test=csv-text]', csv);
    await page.click('[data-test=csv-submit]');
    await page.waitForSelector('[data-test=csv-rows]');
    expect(await page.locator('[data-test=csv-rows] tr[data-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')))).toEqual(['3', '4']);
    expect(await page.textContent('[data-test=csv-rows] tr[data-row="3"]')).toContain('at');
    expect(await page.textContent('[data-test=csv-rows] tr[data-row="4"]')).toContain('text');
    await shot(page, 'calendar-import');
    expect((await pageApi<{ sends: unknown[] }>(page, 'GET', 'group-posts?view=month&date=2026-03-02')).body.sends.length).toBe(before);

    await page.fill('[data-test=csv-text]', csv.split('\n').slice(0, 2).join('\n'));
    await page.click('[data-test=csv-submit]');
    await waitText(page, '[data-test=cal-notice]', '已导入 1 条群内容');
    await page.waitForSelector('[data-day="2026-03-20"] .chip');
  });
});

describe('policy', () => {
  let page: Page;
  let context: BrowserContext;
  beforeAll(async () => {
    ({ context, page } = await desktop());
    await signInWithToken(page, '#/policy');
    await page.waitForSelector('[data-test=caps]');
  });
  afterAll(() => context.close());

  it('should show the rules with their sources, refuse an invalid change with the start-up sentence, and preview a valid one', async () => {
    expect(await page.textContent('[data-test=policy-version]')).toBe('版本 0');
    expect(await page.textContent('[data-test=policy-source]')).toContain('来自配置文件');
    expect(await page.textContent('.block h3 .src')).toContain('config/tiers.json');
    await page.fill('[data-test=cap-key-marketing-week]', '-1');
    await page.click('[data-test=what-if]');
    const refusal = await waitText(page, '[data-test=what-if-error]', 'pressure');
    expect(refusal).toContain('marketing');
    // Twice a week for 重要 customers' marketing instead of once.
    await page.fill('[data-test=cap-key-marketing-week]', '2');
    // And 重要 from 60 points instead of 45: the key customers seeded (about 53–63 points) partly move down.
    await page.fill('[data-test=min-score-key]', '60');
    await page.click('[data-test=what-if]');
    await page.waitForSelector('[data-test=what-if-result]');
    // The page shows what the server computes for the same candidate.
    type Policy = { tiers: { tiers: { id: string; minScore: number }[] }; pressure: { tiers: Record<string, { caps: Record<string, Record<string, number>> }> } };
    const { body: current } = await pageApi<{ policy: Policy }>(page, 'GET', 'policy');
    const candidate = JSON.parse(JSON.stringify(current.policy)) as Policy;
    candidate.pressure.tiers.key.caps.marketing.week = 2;
    candidate.tiers.tiers.find((t) => t.id === 'key')!.minScore = 60;
    const { body: expected } = await pageApi<{ tiers: { customers: number; changed: number }; touches: Record<string, { total: number; candidate: { admitted: number } }> }>(
      page, 'POST', 'policy/what-if', { policy: { tiers: candidate.tiers, pressure: candidate.pressure } });
    expect(expected.tiers.changed).toBeGreaterThan(0);
    expect(await page.textContent('[data-test=what-if-tiers]')).toContain(`${expected.tiers.customers} 位客户中，${expected.tiers.changed} 位会换分层`);
    for (const [k, t] of Object.entries(expected.touches)) {
      const cells = await page.locator(`[data-test=what-if-touches] tr[data-touch=${k}] td.n`).allTextContents();
      expect([cells[0], cells[2]]).toEqual([String(t.total), String(t.candidate.admitted)]);
    }
    expect(await page.textContent('[data-test=what-if-tiers]')).toMatch(/\d+ 位客户中，\d+ 位会换分层/);
    await shot(page, 'policy', true);
  });

  it('should save a version with a note, list it in the history, and refuse a save based on an older version', async () => {
    await page.click('[data-test=policy-save]');
    await waitText(page, '[data-test=policy-save-error]', '请写一句修改原因');
    await page.fill('[data-test=policy-note]', '重要客户营销每周最多 2 次');
    await page.press('[data-test=policy-note]', 'Enter');
    await waitText(page, '[data-test=policy-notice]', '已保存为版本 1');
    await waitText(page, '[data-test=policy-version]', '版本 1');
    expect(await page.textContent('[data-test=policy-versions]')).toContain('重要客户营销每周最多 2 次');
    const { body } = await pageApi<{ version: number; policy: { pressure: { tiers: { key: { caps: { marketing: { week: number } } } } } } }>(page, 'GET', 'policy');
    expect(body.version).toBe(1);
    expect(body.policy.pressure.tiers.key.caps.marketing.week).toBe(2);
    await shot(page, 'policy-saved');

    // A colleague saves meanwhile; this page still edits version 1.
    const colleague = await pageApi(page, 'POST', 'policy', { policy: { pressure: body.policy.pressure }, note: '同事的修改', basedOn: 1 });
    expect(colleague.status).toBe(201);
    await page.fill('[data-test=cap-key-marketing-week]', '3');
    await page.click('[data-test=what-if]');
    await page.waitForSelector('[data-test=what-if-result]');
    await page.fill('[data-test=policy-note]', '再放宽一点');
    await page.click('[data-test=policy-save]');
    await waitText(page, '[data-test=policy-save-error]', '同事刚保存了新版本');
  });
});

describe('operations and audit', () => {
  it('should show inbox and outbox depth, retry a dead event, and list every change in the audit trail', async () => {
    const inbox = app.services.inbox;
    const now = clock().getTime();
    await inbox.insertMany(['dead-1', 'dead-2'].map((key, i) => ({ dedupeKey: key, kind: 'change_external_contact', orderKey: null, payload: '{}', eventTime: now + i, receivedAt: now + i })));
    const { claimed } = await inbox.claim({ instanceId: 'seed', now, leaseMs: 60_000, limit: 100 });
    for (const row of claimed) await inbox.markFailed(row.id, row.leaseToken!, { error: `handler threw for ${row.dedupeKey}`, retryAt: null, failures: 3, firstFailedAt: now });
    const dead = (await inbox.findByDedupeKey('dead-1'))!.id;

    const { context, page } = await desktop();
    await signInWithToken(page, '#/operations');
    await page.waitForSelector(`[data-test=dead] tr[data-dead="${dead}"]`);
    const deadCount = (await inbox.countsByStatus()).dead;
    expect(deadCount).toBeGreaterThan(0);
    expect(await page.textContent('[data-test=inbox-bars] [data-status=dead] b')).toBe(String(deadCount));
    await shot(page, 'operations', true);
    await page.click(`[data-test=retry-${dead}]`);
    await waitText(page, '[data-test=ops-notice]', `事件 ${dead} 已重新排队`);
    expect((await inbox.get(dead))!.status).toBe('pending');
    await waitText(page, '[data-test=inbox-bars] [data-status=dead] b', new RegExp(`^${deadCount - 1}$`));

    await page.click('[data-test=nav-audit]');
    await page.waitForSelector('[data-test=audit] tr[data-action="policy.save"]');
    const actions = await page.locator('[data-test=audit] tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    for (const a of ['admin.sign-in', 'admin.sign-out', 'campaign.create', 'campaign.approve', 'campaign.remind', 'group-post.reschedule', 'group-post.import', 'policy.save', 'inbox.retry']) {
      expect(actions).toContain(a);
    }
    const save = page.locator('[data-test=audit] tr[data-action="policy.save"]').last();
    await save.locator('summary').click();
    // Saved versions are whole policies; the trail shows what changed in them.
    expect(await save.locator('[data-test=audit-changes]').textContent()).toContain('pressure.tiers.key.caps.marketing.week 1 → 2');
    expect(await save.locator('[data-test=audit-changes]').textContent()).toContain('tiers.tiers[key].minScore 45 → 60');
    await shot(page, 'audit');
    await context.close();
  });
});

describe('roles', () => {
  async function signInAs(userId: string): Promise<{ context: BrowserContext; page: Page }> {
    const s = await desktop();
    await s.page.goto(`${app.url}/admin/console/`);
    await s.page.click('[data-test=qr-login]');
    await s.page.click(`a[data-userid="${userId}"]`);
    await s.page.waitForSelector('[data-test=me]');
    return s;
  }

  it('should let a viewer read every page but offer no changes, and refuse one made anyway', async () => {
    const { context, page } = await signInAs(reps[2]);
    expect(await page.textContent('[data-test=me]')).toContain('只读');
    await page.waitForSelector('[data-test=campaign-detail]');
    expect(await page.locator('[data-test=new-campaign], [data-test=c-approve], [data-test=c-remind], [data-test=c-cancel]').count()).toBe(0);
    await page.click('[data-test=nav-calendar]');
    await page.waitForSelector('[data-test=calendar] .chip');
    expect(await page.locator('[data-test=new-post], [data-test=import-csv]').count()).toBe(0);
    expect(await page.locator('.chip[draggable=true]').count()).toBe(0);
    await page.click('[data-test=nav-policy]');
    await page.waitForSelector('[data-test=caps]');
    await page.fill('[data-test=cap-key-marketing-week]', '1');
    await page.click('[data-test=what-if]');
    await page.waitForSelector('[data-test=what-if-result]');
    expect(await page.locator('[data-test=policy-save]').count()).toBe(0);
    expect(await page.textContent('[data-test=what-if-result]')).toContain('只有管理员可以保存策略');
    const refused = await pageApi<{ code: string }>(page, 'POST', 'campaigns/1/cancel');
    expect(refused).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    await context.close();
  });

  it('should let an operator run campaigns and the calendar but not save the policy', async () => {
    const { context, page } = await signInAs(reps[1]);
    await page.waitForSelector('[data-test=new-campaign]');
    await page.click('[data-test=nav-policy]');
    await page.waitForSelector('[data-test=caps]');
    await page.fill('[data-test=cap-key-marketing-week]', '1');
    await page.click('[data-test=what-if]');
    await page.waitForSelector('[data-test=what-if-result]');
    expect(await page.locator('[data-test=policy-save]').count()).toBe(0);
    const refused = await pageApi<{ code: string }>(page, 'POST', 'policy', { policy: {}, note: 'x' });
    expect(refused).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    await context.close();
  });
});

describe('keyboard', () => {
  /** Presses Tab until the focused element matches `selector` (at most `max` times). */
  async function tabTo(page: Page, selector: string, max = 60): Promise<void> {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
    }
    throw new Error(`Tab never reached ${selector}`);
  }
  /** Form controls a screen reader could not name (no label around them, no aria-label, no label[for]). */
  const unnamed = (page: Page) => page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => !el.closest('label') && !el.getAttribute('aria-label') && !(el.id && document.querySelector(`label[for="${el.id}"]`)))
    .map((el) => el.outerHTML.slice(0, 80)));

  it('should reach every page and open a calendar post with the keyboard alone, every control named', async () => {
    const { context, page } = await desktop();
    await signInWithToken(page, '#/campaigns');
    await page.click('[data-test=new-campaign]');
    expect(await unnamed(page)).toEqual([]);
    await page.goto(`${app.url}/admin/console/#/campaigns`);
    await page.waitForSelector('[data-test=me]');
    await tabTo(page, '[data-test=nav-calendar]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-test=calendar] .chip');
    await tabTo(page, '.chip');
    const name = await page.evaluate(() => document.activeElement?.textContent ?? '');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-test=post-sends]');
    expect(name).toContain(await page.textContent('.side h2'));
    for (const panel of ['new-post', 'import-csv']) {
      await page.click(`[data-test=${panel}]`);
      expect(await unnamed(page)).toEqual([]);
    }
    await tabTo(page, '[data-test=nav-policy]', 200);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-test=caps]');
    expect(await unnamed(page)).toEqual([]);
    await context.close();
  });
});

describe('budget', () => {
  it('should keep the console entry under 120 KB gzipped JS+CSS and render its first page within 1.5 s at 4x CPU throttling', async () => {
    const { context, page } = await desktop();
    await signInWithToken(page, '#/campaigns');
    // The page measured is a campaign with its plan (as after the campaign tests; made here when run alone).
    if (!(await pageApi<{ campaigns: unknown[] }>(page, 'GET', 'campaigns')).body.campaigns.length) {
      const made = await pageApi<{ id: number }>(page, 'POST', 'campaigns', {
        name: '预算测量', category: 'care', audience: { owners: [reps[0]] }, content: { text: '您好' },
        schedule: { start: '2026-03-02T11:00:00+08:00', end: '2026-03-04T11:00:00+08:00', perSenderDailyRate: 10 },
      });
      await pageApi(page, 'POST', `campaigns/${made.body.id}/plan`);
    }
    // What the page loads, as served (every script and stylesheet the HTML names).
    const html = await (await fetch(`${app.url}/admin/console/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="\/admin\/console\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    const sizes = assets.map((a) => ({ a, gz: gzipSync(fs.readFileSync(path.join(CONSOLE_DIST, a)), { level: 9 }).length }));
    const total = sizes.reduce((n, x) => n + x.gz, 0);
    // eslint-disable-next-line no-console
    console.log(`console entry: ${sizes.map((x) => `${x.a} ${(x.gz / 1024).toFixed(1)} KB`).join(', ')}; total ${(total / 1024).toFixed(1)} KB gzipped (budget 120 KB)`);
    expect(total).toBeLessThan(120 * 1024);

    // First render at 4x CPU throttling: from navigation start until the signed-in shell is on
    // screen (script parsed and run, session checked), and until the first page shows its data.
    // Recorded in the page by a MutationObserver (no polling delay); the best of three loads, so
    // a moment when the shared test machine is busy does not decide the figure.
    await context.addInitScript(() => {
      const w = window as unknown as { __marks: Record<string, number> };
      w.__marks = {};
      new MutationObserver(() => {
        if (!w.__marks.shell && document.querySelector('[data-test=me]')) w.__marks.shell = performance.now();
        if (!w.__marks.data && document.querySelector('[data-test=c-status]')) w.__marks.data = performance.now();
      }).observe(document, { childList: true, subtree: true });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const runs: { shell: number; data: number }[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto('about:blank');
      await page.goto(`${app.url}/admin/console/#/campaigns`);
      await page.waitForSelector('[data-test=campaign-detail] [data-test=c-status]');
      runs.push(await page.evaluate(() => (window as unknown as { __marks: { shell: number; data: number } }).__marks));
    }
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    const shell = Math.min(...runs.map((r) => r.shell));
    const data = Math.min(...runs.map((r) => r.data));
    // eslint-disable-next-line no-console
    console.log(`console first render at 4x CPU throttling (best of 3): shell ${Math.round(shell)} ms, campaigns with data ${Math.round(data)} ms (budget 1500 ms); runs ${JSON.stringify(runs.map((r) => [Math.round(r.shell), Math.round(r.data)]))}`);
    expect(shell).toBeLessThan(1500);
    expect(data).toBeLessThan(1500);
    await context.close();
  });
});
