import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { launchChromium } from '../sidebar/browser';
import { startTestSimulator } from '../wecom/support';
import { useAdminConfig } from './client';
import { freePort } from '../helpers/listen';

/**
 * WeCom sign-in in a real browser: the console's sign-in page → WeCom's web login (the bundled
 * simulator's member list standing in for the QR code) → back, signed in, on the Operations
 * page; with the keyboard only. Screenshots of both pages in test-artifacts/admin/.
 */
jest.setTimeout(120_000);

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'admin');

describe('signing in to the console with WeCom in a browser', () => {
  const clock = manualClock('2026-03-02T02:00:00Z');
  let sim: RunningSimulator;
  let app: TestApp;
  let browser: Browser;
  let config: ReturnType<typeof useAdminConfig>;
  let operator: string;

  beforeAll(async () => {
    sim = await startTestSimulator({ clock });
    operator = sim.admin.reps()[0].userId;
    config = useAdminConfig({ operators: [operator] });
    // WeCom returns to PUBLIC_BASE_URL, so the test server listens where that says.
    const port = await freePort();
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await sim?.stop();
    config?.restore();
  });

  it('should go from the sign-in page through the simulated QR login to the Operations page, by keyboard', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    await page.goto(app.url + '/admin/');
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    // No local token on this server: only the WeCom button.
    expect(await page.locator('#token').count()).toBe(0);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'sign-in-wecom-1280x800.png') });
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('企业微信扫码登录');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${sim.url}/wwlogin/sso/login?**`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sign-in-simulated-qr-1280x800.png') });
    await page.locator(`a[data-userid="${operator}"]`).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(app.url + '/admin/');
    expect(await page.locator('h1').textContent()).toBe('分寸控制台');
    // The browser's own cookie jar (the Operations page's CSP forbids fetch from the page itself).
    const me = await (await context.request.get(app.url + '/admin/api/me')).json();
    expect(me).toMatchObject({ user: { id: operator, role: 'operator', via: 'wecom' } });
    // The session cookie is not readable by the page.
    expect(await page.evaluate(() => document.cookie)).not.toContain('fc_admin');
    await context.close();
  });
});
