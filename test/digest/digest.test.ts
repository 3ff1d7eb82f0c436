import type { Browser } from 'playwright-core';
import { digestFor, dayRange, previousLocalDate, type Digest } from '../../src/digest/compute';
import { digestServiceOf, runDigests, supervisorDigest } from '../../src/digest/job';
import { digestMarkdown } from '../../src/digest/message';
import { DigestConfigSchema } from '../../src/digest/schema';
import { supervisionsOf } from '../../src/digest/supervision';
import { startSimulator, type RunningSimulator } from '../../src/wecom-simulator';
import { launchChromium, PHONE } from '../sidebar/browser';
import { startTestApp, type TestApp } from '../helpers/app';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { manualClock } from '../helpers/clock';
import { TEST_WECOM } from '../helpers/wecom-callback';
import { ledger } from '../outbox/support';
import { signToken } from '../../src/sidebar-api/signed-token';
import { DATE, DEPARTMENTS, MEMBERS, NOW, seedBook, seedOrg } from './world';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/listen';

jest.setTimeout(120_000);

const org = {
  departments: DEPARTMENTS,
  members: MEMBERS.map((m) => ({ userId: m.userId, name: m.name, departmentIds: m.depts, status: 'active' as const })),
};

describe('who supervises whom', () => {
  it('should give a department leader their department and every sub-department, never themselves', () => {
    const sut = supervisionsOf(org.departments, org.members, DigestConfigSchema.parse({}));
    const teams = Object.fromEntries(sut.map((s) => [s.userId, s.reps]));
    expect(teams).toEqual({
      boss: ['lead2', 'lead3', 'lead4', 'rep_a', 'rep_b', 'rep_c', 'rep_d'],
      lead2: ['lead3', 'rep_a', 'rep_b', 'rep_c'],
      lead3: ['rep_a', 'rep_b'],
      lead4: ['rep_d'],
    });
  });

  it('should add hand-made teams, replace the leaders when asked, and give admins the corp', () => {
    const added = supervisionsOf(org.departments, org.members, DigestConfigSchema.parse({ supervisors: { lead3: ['rep_c'], coach: ['rep_d', 'gone'] }, admins: ['ceo'] }));
    expect(added.find((s) => s.userId === 'lead3')!.reps).toEqual(['rep_a', 'rep_b', 'rep_c']);
    expect(added.find((s) => s.userId === 'coach')!.reps).toEqual(['rep_d']);
    expect(added.find((s) => s.userId === 'ceo')).toMatchObject({ scope: 'corp', reps: MEMBERS.map((m) => m.userId).sort() });
    const replaced = supervisionsOf(org.departments, org.members, DigestConfigSchema.parse({ supervisors: { coach: ['rep_d'] }, replaceLeaders: true }));
    expect(replaced.map((s) => s.userId)).toEqual(['coach']);
  });

  it('should refuse a bad send time with a sentence', () => {
    const r = DigestConfigSchema.safeParse({ sendAt: '8:30pm' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toContain('"08:30"');
  });
});

describe('day boundaries', () => {
  it('should read D in Beijing time: 2026-03-02 is 2026-03-01T16:00Z to 2026-03-02T16:00Z, sent about the day before', () => {
    const r = dayRange(DATE, 'Asia/Shanghai');
    expect(new Date(r.dayStart).toISOString()).toBe('2026-03-01T16:00:00.000Z');
    expect(new Date(r.dayEnd).toISOString()).toBe('2026-03-02T16:00:00.000Z');
    expect(previousLocalDate(NOW.getTime(), 'Asia/Shanghai')).toBe(DATE);
    // 07:59 on 3 March in Beijing is still 2 March in UTC; the digest is about Beijing's yesterday.
    expect(previousLocalDate(new Date('2026-03-03T00:30:00+08:00').getTime(), 'Asia/Shanghai')).toBe(DATE);
  });
});

describe('the digest on a seeded book', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: manualClock(NOW) });
    await seedOrg(app.services.db);
    await seedBook(app.services.db);
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function digestOf(userId: string): Promise<Digest> {
    const svc = digestServiceOf(app.services);
    const s = (await svc.supervisionOf(userId))!;
    return svc.digestOf(s, DATE, NOW.getTime());
  }

  it('should count new customers by channel state, with transfers and the other team left out', async () => {
    const d = await digestOf('lead3');
    expect(d.newByState).toEqual([{ state: 'live_0302', count: 1 }, { state: 'store_qr', count: 1 }]);
    expect(d.newTotal).toBe(2);
  });

  it('should count losses of D only (23:59 yes, 00:01 no), the re-added customer too, a transfer never, naming the high-value one with its remark marked', async () => {
    const d = await digestOf('lead3');
    expect(d.lostByCustomer.map((c) => c.externalUserId)).toEqual(['c1', 'c4']);
    expect(d.lostByCustomer[0]).toMatchObject({ label: '王芳（备注：王姐-VIP）', weight: 1 });
    expect(d.lostByRep).toEqual([]);
  });

  it('should list waiting, at-risk, dormant, under-served and saturated customers of the team', async () => {
    const d = await digestOf('lead3');
    expect(d.waiting.map((c) => [c.externalUserId, c.note])).toEqual([['c6', '已等 2 小时（核心目标 30 分钟）']]);
    expect(d.atRisk.map((c) => c.externalUserId)).toEqual(['c6']);
    expect(d.dormant.map((c) => c.externalUserId)).toEqual(['c7']);
    const a = d.byRep.find((r) => r.rep === 'rep_a')!;
    const b = d.byRep.find((r) => r.rep === 'rep_b')!;
    expect(a.underServed.map((c) => c.externalUserId)).toEqual(['c6']);
    expect(b.underServed).toEqual([]);
    expect(b.saturated.map((c) => [c.externalUserId, c.note])).toEqual([['c7', '连续 3 次主动联系未回复']]);
  });

  it('should count reminders, prevented touches (once each, by first reason) and the KPIs against a hand count', async () => {
    const d = await digestOf('lead3');
    expect(d.byRep.find((r) => r.rep === 'rep_a')).toMatchObject({ remindersDone: 1, remindersOverdue: 1 });
    expect(d.prevented).toEqual([{ reason: 'BACKOFF_PAUSED', count: 1 }, { reason: 'WEEKLY_CAP', count: 1 }]);
    const k = Object.fromEntries(d.kpis.map((x) => [x.key, x]));
    // Active at the start of D: c1, c2, c4 (before its re-add), c6, c7; lost on D: c1, c4.
    expect(k.retention.value).toBeCloseTo(3 / 5);
    expect(k.churn.value).toBe(2);
    expect(k.repeatPurchase.value).toBeCloseTo(1 / 2);
    // Waits started on D: c6 answered in 20 min (core 30), c7 in 2 h (key 60), c5 unanswered past 480 min.
    expect(k.responseCompliance.value).toBeCloseTo(1 / 3);
    expect(k.reminderCompletion.value).toBeCloseTo(1 / 2);
    expect(k.reminderCompletion.prev7).toBe(1);
    expect(d.quiet).toBe(false);
  });

  it('should count campaign recipients and group posts of D sent, deferred and capped, each once, under the team\'s reps', async () => {
    const d = await digestOf('lead3');
    // c6 sent, c7 deferred, c3 capped (WEEKLY_CAP; its owner is rep_a after the transfer); c5 excluded for opting out is not a cap.
    expect(d.campaigns).toEqual({ sent: 1, deferred: 1, capped: 1 });
    // Sent on D: g1, g2 (moved within D, counted once as sent), g7 (scheduled the day before). Deferred: g3, g8
    // (moved from D, sent the next day). Capped: g4 (weekly cap), g5 (WeCom over quota). g6 (group gone) is not pressure.
    expect(d.groupPosts).toEqual({ sent: 3, deferred: 2, capped: 2 });
    expect((await digestOf('lead4')).groupPosts).toEqual({ sent: 1, deferred: 0, capped: 0 });
    const text = digestMarkdown(d, { pageUrl: 'https://scrm.example.com/digest/?date=2026-03-02', listLength: 5 });
    expect(text).toContain('群发给客户：送达 1 人，顺延 1 人，因上限未发 1 人');
    expect(text).toContain('客户群发：发出 3 个群，顺延 2 个群，因频次限制未发 2 个群');
  });

  it('should give a team\'s own read (the page, the preview) the figures the job\'s one read for everyone gives it', async () => {
    const svc = digestServiceOf(app.services);
    const all = await svc.books(DATE, NOW.getTime(), null);
    for (const s of await svc.supervisions()) {
      expect(await svc.digestOf(s, DATE, NOW.getTime())).toEqual(digestFor(s, all.books, DATE, all.known));
    }
    // c9 is shared with 一组's 李娜 but owned by 二组's 赵敏: its stopped touch is 二组's.
    expect((await digestOf('lead4')).prevented).toEqual([{ reason: 'DAILY_CAP', count: 1 }]);
  });

  it('should sum a nested team: the head of sales sees 一组 plus 王强, and 二组 sees only its own', async () => {
    const head = await digestOf('lead2');
    expect(head.newTotal).toBe(2);
    expect(head.lostByCustomer).toHaveLength(2);
    const other = await digestOf('lead4');
    expect(other.newByState).toEqual([{ state: 'store_qr', count: 1 }]);
    expect(other.lostByCustomer).toEqual([]);
  });

  it('should write a message in Chinese that names what matters and links to the page', async () => {
    const d = await digestOf('lead3');
    const text = digestMarkdown(d, { pageUrl: 'https://scrm.example.com/digest/?date=2026-03-02', listLength: 5 });
    expect(text).toContain('### 3月2日团队客户日报');
    expect(text).toContain('新增 **2** 位');
    expect(text).toContain('王芳（备注：王姐-VIP）');
    expect(text).toContain('避免过度打扰 2 次');
    expect(text).toContain('[查看图表和明细](https://scrm.example.com/digest/?date=2026-03-02)');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
  });

  it('should send a quiet day a short message, not a page of zeros', async () => {
    const svc = digestServiceOf(app.services);
    // 王强 (rep_c) has no customers: on 10 January nothing happened and nothing is open.
    const { books, known } = await svc.books('2026-01-10', NOW.getTime(), ['rep_c']);
    const empty = digestFor({ userId: 'lead2', name: '销售部长', scope: 'team', reps: ['rep_c'] }, books, '2026-01-10', known);
    expect(empty.quiet).toBe(true);
    const text = svc.markdown(empty);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('昨天团队客户平稳');
  });
});

describe('exactly one digest per supervisor per day', () => {
  let database: TestDatabase;
  let sim: RunningSimulator;
  let one: TestApp;
  let two: TestApp;
  const env = () => ({ WECOM_API_BASE: sim.url, PUBLIC_BASE_URL: 'https://scrm.example.com' });
  const clock = manualClock(NOW);
  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startDigestSimulator();
    one = await startTestApp({ database, clock, env: env() });
    two = await startTestApp({ database, clock, env: env() });
    await seedOrg(one.services.db);
    await seedBook(one.services.db);
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    await sim?.stop();
    await database?.drop();
  });

  const drainBoth = () => Promise.all([one.services.outboxWorker.drain(), two.services.outboxWorker.drain()]);
  const delivered = async () => (await ledger(sim, 'app_message')).filter((r) => (r.content as { msgtype: string }).msgtype === 'markdown');
  const intents = async () => one.services.db.query<{ idem_key: string; body: string }>("SELECT idem_key, body FROM outbox_intents WHERE origin = 'digest' ORDER BY idem_key");

  it('should deliver one app message per supervisor to WeCom when two instances race the slot, run it again directly, send at once and an instance restarts', async () => {
    const slot = new Date('2026-03-03T08:30:00+08:00');
    expect(supervisorDigest.schedule).toBe('30 8 * * *');
    const [a, b] = await Promise.all([one.running.jobs.runSlot(supervisorDigest, slot), two.running.jobs.runSlot(supervisorDigest, slot)]);
    expect([a, b].filter((x) => x !== null)).toHaveLength(1);
    // The worst case the slot claim does not cover: both instances run the job body at once
    // (a takeover while the first owner wakes up, an operator's `jobs run` during the slot).
    const [x, y] = await Promise.all([runDigests(one.services, slot), runDigests(two.services, new Date(slot.getTime() + 60_000))]);
    expect(Number(x.enqueued) + Number(y.enqueued)).toBe(0);
    // Both instances' outbox workers send at once.
    await drainBoth();
    // A restart: a fresh instance catches up on the same morning, runs the job again and sends what is due.
    const three = await startTestApp({ database, clock: manualClock(new Date(slot.getTime() + 3_600_000)), env: env() });
    try {
      const again = await three.running.jobs.runNow(supervisorDigest, new Date(slot.getTime() + 3_600_000));
      expect(again).toMatchObject({ date: DATE, enqueued: 0, existing: 4 });
      await three.services.outboxWorker.drain();
    } finally {
      await three.stop();
    }
    await drainBoth();
    // What arrived at WeCom: exactly one markdown app message per supervisor, the text of its intent.
    const got = await delivered();
    expect(got.map((r) => r.recipients.join(',')).sort()).toEqual(['boss', 'lead2', 'lead3', 'lead4']);
    const rows = await intents();
    expect(rows.map((r) => r.idem_key)).toEqual(['boss', 'lead2', 'lead3', 'lead4'].map((u) => `digest:${u}:${DATE}`));
    const body = JSON.parse(rows.find((r) => r.idem_key === `digest:lead3:${DATE}`)!.body);
    expect(body).toMatchObject({ kind: 'app_message', toUser: 'lead3', message: { msgtype: 'markdown' } });
    expect(body.message.markdown.content).toContain('王芳（备注：王姐-VIP）');
    const lead3 = got.find((r) => r.recipients[0] === 'lead3')!;
    expect((lead3.content as { markdown: { content: string } }).markdown.content).toBe(body.message.markdown.content);
    expect(body.message.markdown.content).toContain('[查看图表和明细](https://scrm.example.com/digest/?date=2026-03-02)');
  });

  it('should make the next morning a new digest', async () => {
    clock.set(new Date('2026-03-04T08:30:00+08:00'));
    const r = await runDigests(one.services, clock());
    expect(r).toMatchObject({ date: '2026-03-03', enqueued: 4 });
    await drainBoth();
    expect(await delivered()).toHaveLength(8);
  });
});

describe('the digest page', () => {
  let sim: RunningSimulator;
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    sim = await startDigestSimulator();
    const port = await freePort();
    app = await startTestApp({
      clock: manualClock(NOW),
      env: { WECOM_API_BASE: sim.url, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, FENCUN_SESSION_SECRET: 'digest-test-session-secret-0123456789' },
    });
    await seedOrg(app.services.db);
    await seedBook(app.services.db);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await sim?.stop();
  });

  /** OAuth as WeCom runs it: start, the authorize page's redirect with a fresh code, the callback. */
  async function signIn(userId: string): Promise<string> {
    const start = await fetch(`${app.url}/digest/auth/start?to=${encodeURIComponent('/digest/')}`, { redirect: 'manual' });
    const stateCookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const authorize = new URL(start.headers.get('location')!);
    const redirect = new URL(authorize.searchParams.get('redirect_uri')!);
    const code = sim.admin.issueOAuthCode({ userId });
    const back = await fetch(`${app.url}${redirect.pathname}?code=${code}&state=${authorize.searchParams.get('state')}`, { redirect: 'manual', headers: { Cookie: stateCookie } });
    expect(back.status).toBe(302);
    return back.headers.getSetCookie().map((c) => c.split(';')[0]).filter((c) => c.startsWith('fc_digest=')).join('; ');
  }

  it('should send a visitor without a session to WeCom sign-in', async () => {
    const res = await fetch(`${app.url}/digest/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('/connect/oauth2/authorize?');
    expect((await fetch(`${app.url}/digest/api/digest`)).status).toBe(401);
  });

  it('should take an OAuth state once: a replayed callback is 400 and never reaches WeCom again', async () => {
    const start = await fetch(`${app.url}/digest/auth/start`, { redirect: 'manual' });
    const stateCookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const code = sim.admin.issueOAuthCode({ userId: 'lead3' });
    const calls = () => sim.admin.calls().counts['auth/getuserinfo'] ?? 0;
    const before = calls();
    const first = await fetch(`${app.url}/digest/auth/callback?code=${code}&state=${state}`, { redirect: 'manual', headers: { Cookie: stateCookie } });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/digest/');
    for (let i = 0; i < 5; i++) {
      // The same state cookie and nonce again, with the used code and with a fresh one.
      const again = await fetch(`${app.url}/digest/auth/callback?code=${i % 2 ? code : sim.admin.issueOAuthCode({ userId: 'boss' })}&state=${state}`,
        { redirect: 'manual', headers: { Cookie: stateCookie } });
      expect(again.status).toBe(400);
      expect(again.headers.getSetCookie().some((c) => c.startsWith('fc_digest=') && !c.startsWith('fc_digest=;'))).toBe(false);
    }
    expect(calls() - before).toBe(1);
  });

  it('should answer an invalid or used code with 400, not 502, and refuse a state or session of another corp or of the sidebar', async () => {
    const begin = async () => {
      const start = await fetch(`${app.url}/digest/auth/start`, { redirect: 'manual' });
      return { cookie: start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), state: new URL(start.headers.get('location')!).searchParams.get('state')! };
    };
    const a = await begin();
    const bad = await fetch(`${app.url}/digest/auth/callback?code=not-a-code&state=${a.state}`, { redirect: 'manual', headers: { Cookie: a.cookie } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('登录已失效');
    // A code already exchanged (by the sidebar, say) on a fresh state: WeCom says 40029, the visitor gets 400.
    const used = sim.admin.issueOAuthCode({ userId: 'lead3' });
    const b0 = await begin();
    expect((await fetch(`${app.url}/digest/auth/callback?code=${used}&state=${b0.state}`, { redirect: 'manual', headers: { Cookie: b0.cookie } })).status).toBe(302);
    const b1 = await begin();
    expect((await fetch(`${app.url}/digest/auth/callback?code=${used}&state=${b1.state}`, { redirect: 'manual', headers: { Cookie: b1.cookie } })).status).toBe(400);
    // Same secret, another corp: a state (and a session) signed for it opens nothing here.
    const secret = 'digest-test-session-secret-0123456789';
    const foreignState = signToken(secret, 'digest-oauth', { n: 'n-foreign', to: '/digest/', exp: NOW.getTime() + 60_000, c: 'ww-other-corp' });
    const calls = sim.admin.calls().counts['auth/getuserinfo'] ?? 0;
    const foreign = await fetch(`${app.url}/digest/auth/callback?code=${sim.admin.issueOAuthCode({ userId: 'lead3' })}&state=n-foreign`,
      { redirect: 'manual', headers: { Cookie: `fc_digest_oauth=${foreignState}` } });
    expect(foreign.status).toBe(400);
    expect(sim.admin.calls().counts['auth/getuserinfo'] ?? 0).toBe(calls);
    const foreignSession = signToken(secret, 'digest-session', { u: 'boss', iat: NOW.getTime(), exp: NOW.getTime() + 3_600_000, c: 'ww-other-corp' });
    expect((await fetch(`${app.url}/digest/api/digest`, { headers: { Cookie: `fc_digest=${foreignSession}` } })).status).toBe(401);
    // The sidebar's session (same corp, same secret) is not a digest session.
    const sidebarSession = signToken(secret, 'session', { u: 'boss', iat: NOW.getTime(), exp: NOW.getTime() + 3_600_000, c: TEST_WECOM.corpId });
    expect((await fetch(`${app.url}/digest/api/digest`, { headers: { Cookie: `fc_digest=${sidebarSession}` } })).status).toBe(401);
    const own = signToken(secret, 'digest-session', { u: 'boss', iat: NOW.getTime(), exp: NOW.getTime() + 3_600_000, c: TEST_WECOM.corpId });
    expect((await fetch(`${app.url}/digest/api/digest?date=${DATE}`, { headers: { Cookie: `fc_digest=${own}` } })).status).toBe(200);
  });

  it('should show a supervisor their own team and refuse another team, a rep outside it and a rep who supervises nobody', async () => {
    const lead3 = await signIn('lead3');
    const own = await fetch(`${app.url}/digest/api/digest?date=${DATE}`, { headers: { Cookie: lead3 } });
    expect(own.status).toBe(200);
    expect(((await own.json()) as Digest).newTotal).toBe(2);
    expect((await fetch(`${app.url}/digest/?date=${DATE}`, { headers: { Cookie: lead3 } })).status).toBe(200);
    expect((await fetch(`${app.url}/digest/api/digest?supervisor=lead4`, { headers: { Cookie: lead3 } })).status).toBe(403);
    expect((await fetch(`${app.url}/digest/api/digest?rep=rep_d`, { headers: { Cookie: lead3 } })).status).toBe(403);
    expect((await fetch(`${app.url}/digest/?supervisor=lead4`, { headers: { Cookie: lead3 } })).status).toBe(403);
    expect((await fetch(`${app.url}/digest/api/digest?date=yesterday`, { headers: { Cookie: lead3 } })).status).toBe(400);
    const rep = await signIn('rep_a');
    expect((await fetch(`${app.url}/digest/api/digest`, { headers: { Cookie: rep } })).status).toBe(403);
    const lead4 = await signIn('lead4');
    const theirs = await fetch(`${app.url}/digest/api/digest?date=${DATE}`, { headers: { Cookie: lead4 } });
    expect(theirs.status).toBe(200);
    expect(((await theirs.json()) as Digest).lostByCustomer).toEqual([]);
  });

  it('should render on a phone with charts and the named lists (screenshot)', async () => {
    const cookie = (await signIn('lead3')).split('=');
    const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, locale: 'zh-CN' });
    await context.addCookies([{ name: cookie[0], value: cookie.slice(1).join('='), url: app.url }]);
    const page = await context.newPage();
    const res = await page.goto(`${app.url}/digest/?date=${DATE}`);
    expect(res!.status()).toBe(200);
    expect(await page.locator('[data-kpi] svg path').count()).toBeGreaterThanOrEqual(4);
    expect(await page.textContent('body')).toContain('王芳（备注：王姐-VIP）');
    // Each named customer links to their profile in the sidebar.
    expect(await page.locator('tr[data-customer="c1"] a').first().getAttribute('href')).toBe('/sidebar/?contact=c1');
    const dir = path.resolve(__dirname, '..', '..', 'test-artifacts', 'digest');
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'digest-phone.png'), fullPage: true });
    const html = await (await fetch(`${app.url}/digest/?date=${DATE}`, { headers: { Cookie: cookie.join('=') } })).text();
    expect(Buffer.byteLength(html)).toBeLessThan(60_000);
    await context.close();
  });
});

/** The WeCom simulator with the corp's org chart (no customers: the book is seeded in the database). */
function startDigestSimulator(): Promise<RunningSimulator> {
  return startSimulator({
    port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret, callbackToken: TEST_WECOM.token,
    callbackAesKey: TEST_WECOM.aesKey, callbackUrl: null,
    seed: {
      version: 1, corpName: '山茶花', departments: DEPARTMENTS.map((d) => ({ id: d.id, name: d.name, parentId: d.parentId ?? 0, order: d.id, leaders: d.leaders })),
      users: MEMBERS.map((m) => ({ userId: m.userId, name: m.name, departments: m.depts, mainDepartment: m.depts[0], position: '顾问', gender: 1 })),
      customers: [], follows: [], tagGroups: [], groupChats: [], kfAccounts: [], kfMessages: [],
    },
  });
}

