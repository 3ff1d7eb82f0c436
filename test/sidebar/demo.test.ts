import type { Browser } from 'playwright-core';
import type { DemoRep, DemoTarget, SessionInfo } from '../../src/sidebar-api/types';
import { launchChromium, openPhone, screenshot } from './browser';
import { CUSTOMERS, GROUP, REPS } from './fixture';
import { SidebarClient } from './http';
import { startSidebarWorld, type SidebarWorld } from './world';

jest.setTimeout(120_000);

let world: SidebarWorld;
let browser: Browser;

beforeAll(async () => {
  [world, browser] = await Promise.all([startSidebarWorld({ demo: true }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

describe('demo mode (FENCUN_DEMO=1)', () => {
  it('should serve the page to a desktop browser without OAuth, and sign in as a picked member', async () => {
    const c = new SidebarClient(world);
    const page = await c.request('GET', '/sidebar/');
    expect(page.status).toBe(200);
    expect(await c.json('GET', '/sidebar/api/session')).toMatchObject({ status: 401, body: { code: 'SESSION_REQUIRED', details: { demo: true } } });
    const reps = await c.json<DemoRep[]>('GET', '/sidebar/api/demo/reps');
    expect(reps.body[0]).toMatchObject({ userId: REPS.supervisor, name: '王芳', role: 'supervisor', suggested: false });
    expect(reps.body.find((r) => r.suggested)).toMatchObject({ role: 'rep' });
    const login = await c.json<SessionInfo>('POST', '/sidebar/api/demo/login', { userId: REPS.lina });
    expect(login.body).toMatchObject({ userId: REPS.lina, demo: true });
    const targets = await c.json<DemoTarget[]>('GET', '/sidebar/api/demo/targets');
    expect(targets.body.map((x) => x.id)).toEqual(expect.arrayContaining([CUSTOMERS.chen, CUSTOMERS.liu, GROUP]));
    expect(targets.body.map((x) => x.id)).not.toContain(CUSTOMERS.zhou);
  });

  it('should still send the WeCom client through OAuth', async () => {
    const res = await new SidebarClient(world).request('GET', '/sidebar/', undefined, { 'User-Agent': 'Mozilla/5.0 wxwork/4.1.30' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('/connect/oauth2/authorize?');
  });

  it('should let a visitor pick an identity and a customer, and use the sidebar in a plain browser', async () => {
    const { page, context } = await openPhone(browser, world, null);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.url });
    await page.goto(`${world.url}/sidebar/`);
    await page.waitForSelector('[data-test=demo-picker]');
    await page.click(`[data-test=demo-rep-${REPS.lina}]`);
    await page.waitForSelector(`[data-test=demo-target-${CUSTOMERS.chen}]`);
    await screenshot(page, 'demo-picker');
    await page.click(`[data-test=demo-target-${CUSTOMERS.chen}]`);
    await page.waitForSelector('[data-test=next-action]');
    expect(page.url()).toBe(`${world.url}/sidebar/?contact=${CUSTOMERS.chen}`);
    expect(await page.textContent('[data-test=demo-bar]')).toContain('演示模式 · 李娜');
    await page.click('[data-test=insert]');
    await page.waitForSelector('.toast');
    expect(await page.textContent('.toast')).toContain('演示模式：已复制');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('山茶花精华套装');
    // Access rules hold in the demo too.
    await page.goto(`${world.url}/sidebar/?contact=${CUSTOMERS.zhou}`);
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toContain('你没有查看该客户的权限');
    await context.close();
  });
});
