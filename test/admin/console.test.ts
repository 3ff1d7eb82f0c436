import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { RATE_LIMITS } from '../../src/http/middleware/rate-limit';
import { JobRunRepository } from '../../src/jobs/repository';
import { OutboxRepository } from '../../src/outbox/repository';
import type { NewIntent } from '../../src/outbox/types';
import { signToken } from '../../src/sidebar-api/signed-token';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { launchChromium } from '../sidebar/browser';

jest.setTimeout(120_000);

const TOKEN = 'admin-token-0123456789abcdef';
const NOW = new Date('2026-03-02T10:00:00+08:00');
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'admin');

/** Form posts as the console's own page sends them (same origin), keeping the session cookie. */
class ConsoleClient {
  cookie = '';
  constructor(readonly url: string) {}

  async request(method: string, p: string, o: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const res = await fetch(this.url + p, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookie ? { Cookie: this.cookie } : {}),
        ...(method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: this.url, 'Sec-Fetch-Site': 'same-origin' } : {}),
        ...o.headers,
      },
      body: o.body,
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      if (pair.startsWith('fc_admin=')) this.cookie = /max-age=0|expires=Thu, 01 Jan 1970/i.test(c) || pair === 'fc_admin=' ? '' : pair;
    }
    return res;
  }

  login(token: string): Promise<Response> {
    return this.request('POST', '/admin/login', { body: new URLSearchParams({ token }).toString() });
  }
}

async function seedInbox(app: TestApp, kinds: { key: string; dead: boolean }[]): Promise<Map<string, number>> {
  const inbox = app.services.inbox;
  const now = NOW.getTime();
  await inbox.insertMany(kinds.map((k, i) => ({ dedupeKey: k.key, kind: 'change_external_contact', orderKey: null, payload: '{}', eventTime: now - 1000 + i, receivedAt: now - 1000 + i })));
  const ids = new Map<string, number>();
  for (const k of kinds) ids.set(k.key, (await inbox.findByDedupeKey(k.key))!.id);
  // Dead the way the processor parks them: a claim, then a failure with no retry left.
  const { claimed } = await inbox.claim({ instanceId: 'seed', now, leaseMs: 60_000, limit: 100 });
  for (const row of claimed) {
    const k = kinds.find((x) => x.key === row.dedupeKey);
    if (k?.dead) await inbox.markFailed(row.id, row.leaseToken!, { error: `handler threw for ${k.key}`, retryAt: null, failures: 3, firstFailedAt: now - 500 });
    else await inbox.markDone(row.id, row.leaseToken!, now);
  }
  return ids;
}

async function seedOutbox(app: TestApp): Promise<void> {
  const db = app.services.db;
  const repo = new OutboxRepository(db);
  const now = NOW.getTime();
  const intent = (key: string): NewIntent & { paceKey: string } => ({
    kind: 'app_message', toUser: 'rep_a', message: { msgtype: 'text', text: { content: 'hi' } } as never, key, dueAt: now, origin: 'test', paceKey: 'member:rep_a',
  });
  for (const key of ['o1', 'o2', 'o3', 'o4', 'o5']) await repo.insert(db, intent(key), now);
  // Outcomes as the worker records them (seeded directly: the worker needs a WeCom to fail against).
  const outcome = (key: string, status: string, errcode: number | null, at: number) =>
    db.exec('UPDATE outbox_intents SET status = ?, errcode = ?, updated_at = ? WHERE idem_key = ?', [status, errcode, at, key]);
  await outcome('o1', 'failed', 60111, now - 3_600_000);
  await outcome('o2', 'failed', 60111, now - 60_000);
  await outcome('o3', 'unknown', null, now - 60_000);
  await outcome('o4', 'failed', 41001, now - 2 * 86_400_000); // older than a day: not in the errcode table
  await outcome('o5', 'sent', null, now - 60_000);
}

async function seedJobs(app: TestApp): Promise<void> {
  const jobs = new JobRunRepository(app.services.db);
  const now = NOW.getTime();
  await jobs.claim('tiers', '2026-03-02', 'inst-a', 'tk1', now - 7_200_000);
  await jobs.finish({ job: 'tiers', slot: '2026-03-02', token: 'tk1', attempt: 1 }, now - 7_000_000, { status: 'done', summary: '1234 customers scored, 17 changed tier' });
  await jobs.claim('digest', '2026-03-01', 'inst-b', 'tk2', now - 3_600_000);
  await jobs.finish({ job: 'digest', slot: '2026-03-01', token: 'tk2', attempt: 1 }, now - 3_500_000, { status: 'failed', error: 'WeCom answered 60020' });
}

/** data-status → data-count of one status chart on the page. */
function chartCounts(html: string, section: string): Record<string, number> {
  const part = html.split(`data-test="${section}"`)[1].split('</section>')[0];
  return Object.fromEntries([...part.matchAll(/data-status="(\w+)" data-count="(\d+)"/g)].map((m) => [m[1], Number(m[2])]));
}

async function auditRows(app: TestApp): Promise<{ action: string; target: string | null; actor: string }[]> {
  return app.services.db.query('SELECT action, target, actor FROM admin_audit ORDER BY id');
}

describe('the console is off without FENCUN_ADMIN_TOKEN', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: manualClock(NOW) });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should answer 404 on every console path, the sign-in form included', async () => {
    const c = new ConsoleClient(app.url);
    expect((await c.request('GET', '/admin/')).status).toBe(404);
    expect((await c.request('GET', '/admin/login')).status).toBe(404);
    expect((await c.login(TOKEN)).status).toBe(404);
    expect((await c.request('POST', '/admin/inbox/retry-dead')).status).toBe(404);
  });
});

describe('FENCUN_ADMIN_TOKEN is validated at start-up', () => {
  it('should refuse a token shorter than 16 characters with a sentence', async () => {
    await expect(startTestApp({ env: { FENCUN_ADMIN_TOKEN: 'short' } })).rejects.toThrow(/FENCUN_ADMIN_TOKEN must be at least 16 characters/);
  });
});

describe('the Operations page', () => {
  let app: TestApp;
  let ids: Map<string, number>;
  let browser: Browser | undefined;
  beforeAll(async () => {
    app = await startTestApp({ clock: manualClock(NOW), env: { FENCUN_ADMIN_TOKEN: TOKEN } });
    ids = await seedInbox(app, [
      { key: 'e1', dead: true }, { key: 'e2', dead: true }, { key: 'e3', dead: true }, { key: 'e4', dead: false }, { key: 'e5', dead: false },
    ]);
    await app.services.inbox.insertMany([{ dedupeKey: 'e6', kind: 'change_external_chat', orderKey: null, payload: '{}', eventTime: NOW.getTime(), receivedAt: NOW.getTime() }]);
    await seedOutbox(app);
    await seedJobs(app);
    // The registry the WeCom invoker observes into; a failing call is recorded exactly so.
    app.services.metrics.wecomCalls.observe({ endpoint: 'message/send', errcode: '60020' }, 0.05);
    app.services.metrics.wecomCalls.observe({ endpoint: 'message/send', errcode: '60020' }, 0.05);
    app.services.metrics.wecomCalls.observe({ endpoint: 'message/send', errcode: '0' }, 0.05);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('should send a visitor without a session to the sign-in form, and refuse a POST with 401', async () => {
    const c = new ConsoleClient(app.url);
    const page = await c.request('GET', '/admin/');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');
    const form = await c.request('GET', '/admin/login');
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="token"');
    expect((await c.request('POST', '/admin/inbox/retry-dead')).status).toBe(401);
    expect((await c.request('POST', `/admin/inbox/${ids.get('e1')}/retry`)).status).toBe(401);
    expect((await app.services.inbox.countsByStatus()).dead).toBe(3);
    expect(await auditRows(app)).toEqual([]);
  });

  it('should not take a cookie signed with another secret, nor one opened with another admin token', async () => {
    const c = new ConsoleClient(app.url);
    c.cookie = 'fc_admin=' + signToken('not-the-session-secret-at-all', 'admin-session', { u: 'local-admin', k: 'x', exp: NOW.getTime() + 3_600_000 });
    expect((await c.request('GET', '/admin/')).status).toBe(303);
    // Right secret, but the fingerprint of a different (older) admin token.
    c.cookie = 'fc_admin=' + signToken(app.services.config.sessionSecret, 'admin-session', { u: 'local-admin', k: 'old-token-key', exp: NOW.getTime() + 3_600_000 });
    expect((await c.request('GET', '/admin/')).status).toBe(303);
  });

  it('should refuse a wrong token without setting a cookie', async () => {
    const c = new ConsoleClient(app.url);
    const res = await c.login(TOKEN + 'x');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('管理口令不正确');
    expect(c.cookie).toBe('');
    expect((await c.login('')).status).toBe(401);
  });

  it('should sign in with the token into an httpOnly cookie on /admin and show the seeded counts', async () => {
    const c = new ConsoleClient(app.url);
    const res = await c.login(TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/');
    const set = res.headers.getSetCookie().find((x) => x.startsWith('fc_admin='))!;
    expect(set).toMatch(/path=\/admin/i);
    expect(set).toMatch(/httponly/i);
    expect(set).toMatch(/samesite=lax/i);
    const page = await c.request('GET', '/admin/');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    const inbox = await app.services.inbox.countsByStatus();
    expect(chartCounts(html, 'inbox')).toEqual({ pending: 1, processing: 0, done: 2, dead: 3 });
    expect(chartCounts(html, 'inbox')).toEqual(inbox);
    expect(chartCounts(html, 'outbox')).toMatchObject({ pending: 0, sent: 1, failed: 3, unknown: 1 });
    for (const key of ['e1', 'e2', 'e3']) expect(html).toContain(`data-dead="${ids.get(key)}"`);
    expect(html).not.toContain(`data-dead="${ids.get('e4')}"`);
    const failures = html.split('data-test="outbox-failures"')[1].split('</section>')[0];
    expect([...failures.matchAll(/data-errcode="(\w+)" data-status="(\w+)"><td>[^<]*<\/td><td>[^<]*<\/td><td class="n">(\d+)/g)].map((m) => [m[1], m[2], Number(m[3])]))
      .toEqual([['60111', 'failed', 2], ['none', 'unknown', 1]]);
    expect(html).toContain('1234 customers scored, 17 changed tier');
    expect(html).toContain('WeCom answered 60020');
    const wecom = html.split('data-test="wecom-errors"')[1].split('</section>')[0];
    expect(wecom).toMatch(/data-wecom-errcode="60020"><td>60020<\/td><td><code>message\/send<\/code><\/td><td class="n">2<\/td>/);
    expect(wecom).not.toContain('data-wecom-errcode="0"');
    expect(wecom).toContain('本实例进程启动以来');
    expect(await auditRows(app)).toEqual([{ action: 'admin.sign-in', target: null, actor: 'local-admin' }]);
  });

  it('should refuse a cross-site POST carrying a valid session: the event stays dead, nothing is audited', async () => {
    const c = new ConsoleClient(app.url);
    await c.login(TOKEN);
    const before = (await auditRows(app)).length;
    const id = ids.get('e1')!;
    const byOrigin = await c.request('POST', `/admin/inbox/${id}/retry`, { headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': '' } });
    expect(byOrigin.status).toBe(403);
    const bySite = await c.request('POST', '/admin/inbox/retry-dead', { headers: { Origin: '', 'Sec-Fetch-Site': 'cross-site' } });
    expect(bySite.status).toBe(403);
    const login = await new ConsoleClient(app.url).request('POST', '/admin/login', { body: `token=${TOKEN}`, headers: { Origin: 'https://evil.example' } });
    expect(login.status).toBe(403);
    expect((await app.services.inbox.get(id))!.status).toBe('dead');
    expect((await app.services.inbox.countsByStatus()).dead).toBe(3);
    expect((await auditRows(app)).length).toBe(before);
  });

  it('should requeue one dead event and audit it once, even when two operators press retry at the same moment', async () => {
    const a = new ConsoleClient(app.url);
    const b = new ConsoleClient(app.url);
    await a.login(TOKEN);
    await b.login(TOKEN);
    const id = ids.get('e1')!;
    const [ra, rb] = await Promise.all([a.request('POST', `/admin/inbox/${id}/retry`), b.request('POST', `/admin/inbox/${id}/retry`)]);
    const locations = [ra.headers.get('location'), rb.headers.get('location')].sort();
    expect([ra.status, rb.status]).toEqual([303, 303]);
    expect(locations).toEqual([`/admin/?err=not-dead&id=${id}`, `/admin/?ok=retry&id=${id}`]);
    const row = (await app.services.inbox.get(id))!;
    expect(row).toMatchObject({ status: 'pending', attempts: 0, failures: 0, nextAttemptAt: NOW.getTime() });
    const retries = (await auditRows(app)).filter((r) => r.action === 'inbox.retry');
    expect(retries).toEqual([{ action: 'inbox.retry', target: `inbox_event:${id}`, actor: 'local-admin' }]);
    const html = await (await a.request('GET', `/admin/?ok=retry&id=${id}`)).text();
    expect(html).toContain(`事件 ${id} 已重新排队`);
    expect(html).toMatch(/data-audit="inbox\.retry">.*重试死信.*inbox_event:\d+/);
    expect(html).not.toContain(`data-dead="${id}"`);
  });

  it('should answer a bad event id with 400 and leave everything as it was', async () => {
    const c = new ConsoleClient(app.url);
    await c.login(TOKEN);
    const res = await c.request('POST', '/admin/inbox/abc/retry');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('不是事件编号');
  });

  it('should requeue all dead events and audit the count', async () => {
    const c = new ConsoleClient(app.url);
    await c.login(TOKEN);
    const res = await c.request('POST', '/admin/inbox/retry-dead');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/?ok=retry-all&n=2');
    expect((await app.services.inbox.countsByStatus()).dead).toBe(0);
    const rows: { detail: string }[] = await app.services.db.query(`SELECT detail FROM admin_audit WHERE action = 'inbox.retry-all-dead'`);
    expect(rows.map((r) => r.detail)).toEqual(['重新排队 2 条死信']);
  });

  it('should render on a 1280×800 desktop after signing in through the form (screenshot)', async () => {
    // Two more dead events, so the screenshot shows the retry buttons.
    await seedInbox(app, [{ key: 's1', dead: true }, { key: 's2', dead: true }]);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    await page.goto(app.url + '/admin/');
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.waitForURL(app.url + '/admin/');
    expect(await page.locator('[data-test="dead"] tr[data-dead]').count()).toBe(2);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'operations-1280x800.png') });
    // The retry button is a real form post from the page itself (the browser sends its Origin).
    await page.locator('[data-test="dead"] tr[data-dead] button').first().click();
    await page.waitForURL(/ok=retry/);
    expect(await page.locator('[role="status"]').textContent()).toContain('已重新排队');
    await context.close();
  });
});

describe('wrong admin tokens are rate limited', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: manualClock(NOW), env: { FENCUN_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it(`should answer 429 after ${RATE_LIMITS.authFailures} wrong tokens from one address, even to the right one`, async () => {
    const c = new ConsoleClient(app.url);
    for (let i = 0; i < RATE_LIMITS.authFailures; i++) expect((await c.login(`wrong-token-${i}-0123456789`)).status).toBe(401);
    const res = await c.login(TOKEN);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(c.cookie).toBe('');
  });
});
