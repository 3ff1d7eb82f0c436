import type { Browser } from 'playwright-core';
import type { MyRemindersView } from '../../src/sidebar-api/my-reminders';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { saveProfile } from '../../src/profile/repository';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { launchChromium, openPhone, screenshot } from '../sidebar/browser';
import { seedBook, startBookSimulator } from './world';

jest.setTimeout(240_000);

/**
 * The sidebar's "my reminders" view, for a rep who opens Fencun from the workbench: the real
 * server, WeCom sign-in through the simulator, the JSON API over HTTP, and the page on a phone.
 */
describe('my reminders', () => {
  let sim: RunningSimulator;
  let app: TestApp;
  let ids: Record<string, number>;
  const clock = manualClock('2026-03-02T10:00:00+08:00');
  beforeAll(async () => {
    sim = await startBookSimulator(clock);
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url, FENCUN_SESSION_SECRET: 'my-reminders-test-session-secret-0123' } });
    ids = await seedBook(app.services.db);
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
  });

  /** OAuth as WeCom runs it (API.md 4.18): start, the authorize redirect with a fresh code, the callback. */
  async function signIn(userId: string): Promise<string> {
    const start = await fetch(`${app.url}/sidebar/auth/start?to=${encodeURIComponent('/sidebar/?view=reminders')}`, { redirect: 'manual' });
    const cookies = start.headers.getSetCookie().map((c) => c.split(';')[0]);
    const authorize = new URL(start.headers.get('location')!);
    const redirect = new URL(authorize.searchParams.get('redirect_uri')!);
    const code = sim.admin.issueOAuthCode({ userId });
    const back = await fetch(`${app.url}${redirect.pathname}?code=${code}&state=${authorize.searchParams.get('state')}`, {
      redirect: 'manual', headers: { Cookie: cookies.join('; ') },
    });
    expect(back.status).toBe(302);
    return [...cookies, ...back.headers.getSetCookie().map((c) => c.split(';')[0])].join('; ');
  }

  const call = async (cookie: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}/sidebar/api/my-reminders${path}`, {
      method, headers: { Cookie: cookie, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as MyRemindersView & { code?: string; message?: string } };
  };

  it('should list the rep\'s own reminders due today and overdue, overdue first, with the salutation and no private remark', async () => {
    const a = await signIn('rep_a');
    const { status, body } = await call(a, 'GET', '/');
    expect(status).toBe(200);
    expect(body).toMatchObject({ today: 3, overdue: 2 });
    expect(body.items.map((i) => [i.customer, i.title, i.overdue])).toEqual([
      ['王姐', '定期回访', true], ['李雷', '售后回访：面霜', true], ['陈姐', '生日祝福', false], ['周敏', '亲自问候老客户', false], ['吴静', '先回复客户', false],
    ]);
    expect(body.items[0]).toMatchObject({ externalUserId: 'wm_a1', reason: '已 30 天没有交流', dueLabel: '2月27日 09:00 到期' });
    expect(JSON.stringify(body)).not.toContain('换工作');
    // rep_c's reminder falls due at 11:00 today: it is today's.
    const c = await call(await signIn('rep_c'), 'GET', '/');
    expect(c.body.items.map((i) => [i.customer, i.dueLabel])).toEqual([['何琳', '今天 11:00 到期']]);
  });

  it('should address a customer by the 称呼 the rep set in the profile, before the remark and the WeCom name', async () => {
    const a = await signIn('rep_a');
    const set = (salutation: string | null) =>
      app.services.db.transaction((tx) => saveProfile(tx, 'wm_a2', { salutation }, 'rep_a', clock().getTime()));
    await set('李老师');
    try {
      const { body } = await call(a, 'GET', '/');
      expect(body.items.find((i) => i.externalUserId === 'wm_a2')?.customer).toBe('李老师');
    } finally {
      await set(null);
    }
    expect((await call(a, 'GET', '/')).body.items.find((i) => i.externalUserId === 'wm_a2')?.customer).toBe('李雷');
  });

  it('should mark done, snooze to tomorrow and skip with a reason, each leaving today\'s list', async () => {
    const a = await signIn('rep_a');
    expect((await call(a, 'POST', `/${ids.a3}/done`, {})).body.items).toHaveLength(4);
    expect((await call(a, 'POST', `/${ids.a4}/snooze`, { preset: 'tomorrow' })).body.items).toHaveLength(3);
    const skipped = await call(a, 'POST', `/${ids.a5}/skip`, { reason: 'already_contacted' });
    expect(skipped.body.items.map((i) => i.customer)).toEqual(['王姐', '李雷']);
    const rows = await app.services.db.query<{ rule_key: string; status: string; closed_reason: string | null; done_by: string | null; due_at: unknown }>(
      "SELECT rule_key, status, closed_reason, done_by, due_at FROM reminders WHERE rule_key IN ('t:a3','t:a4','t:a5') ORDER BY rule_key");
    expect(rows.map((r) => [r.rule_key, r.status, r.closed_reason, r.done_by])).toEqual([
      ['t:a3', 'done', null, 'rep_a'], ['t:a4', 'open', null, null], ['t:a5', 'skipped', 'already_contacted', 'rep_a'],
    ]);
    expect(Number(rows[1].due_at)).toBe(new Date('2026-03-03T09:00:00+08:00').getTime());
  });

  it('should answer bad input with a 4xx and a sentence: no session, a bad reason, another rep\'s reminder, twice, an unknown action', async () => {
    expect((await fetch(`${app.url}/sidebar/api/my-reminders/`)).status).toBe(401);
    const a = await signIn('rep_a');
    const bad = await call(a, 'POST', `/${ids.a1}/skip`, { reason: 'bored' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('already_contacted');
    expect((await call(a, 'POST', `/${ids.b1}/done`, {})).status).toBe(404);
    expect((await call(a, 'POST', '/nope/done', {})).status).toBe(404);
    expect((await call(a, 'POST', `/${ids.a3}/done`, {})).status).toBe(409);
    expect((await call(a, 'POST', `/${ids.a1}/delete`, {})).status).toBe(404);
    const snooze = await call(a, 'POST', `/${ids.a1}/snooze`, { preset: 'forever' });
    expect(snooze.status).toBe(400);
  });

  describe('on a phone', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('should show the list opened from the workbench and open a customer from it (screenshot)', async () => {
      const b = await signIn('rep_b');
      await app.services.db.exec("UPDATE reminders SET status = 'open', due_at = ? WHERE rule_key IN ('t:a3','t:a4','t:a5')", [clock().getTime() - 600_000]);
      await app.services.db.exec("UPDATE reminders SET user_id = 'rep_b' WHERE user_id = 'rep_a'");
      await app.services.db.exec("UPDATE follows SET user_id = 'rep_b' WHERE user_id = 'rep_a'");
      const phone = await openPhone(browser, { url: app.url } as never, null);
      await phone.context.addCookies(b.split('; ').map((c) => {
        const [n, ...v] = c.split('=');
        return { name: n, value: v.join('='), url: app.url };
      }));
      const res = await phone.page.goto(`${app.url}/sidebar/?view=reminders`);
      expect(res!.status()).toBe(200);
      await phone.page.waitForSelector('[data-test="my-reminders"]', { timeout: 60_000 });
      const text = await phone.page.textContent('[data-test="my-reminders"]');
      expect(text).toContain('我的待办提醒');
      expect(text).toContain('王姐');
      expect(text).toContain('逾期 2');
      await screenshot(phone.page, 'my-reminders-phone', true);
      // Skip with a reason from the sheet.
      await phone.page.click(`[data-test="skip-${ids.a2}"]`);
      await phone.page.click('[data-test="skip-reason-not_needed"]');
      await phone.page.waitForSelector(`[data-test="my-reminder-${ids.a2}"]`, { state: 'detached' });
      await phone.page.click('[data-test="open-wm_a1"]');
      await phone.page.waitForURL(/\?contact=wm_a1$/);
      await phone.context.close();
    });
  });
});
