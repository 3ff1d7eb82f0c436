import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { previousLocalDate } from '../../src/digest/compute';
import { demoDigestLines } from '../../src/digest/demo';
import { digestServiceOf } from '../../src/digest/job';
import { startDemoWorld, type DemoWorld } from '../demo/world';
import { ledger } from '../outbox/support';
import { launchChromium, PHONE } from '../sidebar/browser';

/**
 * The digest on the demo's seeded corp: the helper the demo prints at start sends every
 * supervisor their digest of yesterday through the outbox to the simulated WeCom (once, however
 * often the demo starts), and the page shows the demo data on a phone (screenshot).
 */
jest.setTimeout(300_000);

/** A Thursday morning in Shanghai, after the 08:30 slot. */
const START = new Date('2025-03-06T10:30:00+08:00');

let world: DemoWorld;
let browser: Browser;
beforeAll(async () => {
  world = await startDemoWorld(START);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

it('should send each demo supervisor one digest of yesterday and print it with the page URL, once however often the demo starts', async () => {
  const { services } = world.app;
  const date = previousLocalDate(services.clock().getTime(), services.config.timezone);
  expect(date).toBe('2025-03-05');
  const supervisors = await digestServiceOf(services).supervisions();
  expect(supervisors.length).toBeGreaterThan(0);
  const lines = await demoDigestLines({ services, url: world.url });
  expect(lines[0]).toContain(`Supervisors' digest for 3月5日 (2025-03-05`);
  expect(lines[0]).toContain(`${supervisors.length} sent now`);
  const text = lines.join('\n');
  for (const s of supervisors) expect(text).toContain(`${s.name} (${s.userId}`);
  expect(text).toContain('3月5日');
  expect(text).toContain(`page: ${world.url}/digest/?date=2025-03-05`);
  expect(text).not.toContain('not delivered');
  const delivered = async () => (await ledger(world.sim, 'app_message')).filter((r) => (r.content as { msgtype: string }).msgtype === 'markdown');
  expect((await delivered()).map((r) => r.recipients[0]).sort()).toEqual(supervisors.map((s) => s.userId).sort());
  // The next start of the demo the same day: nothing new is sent, the same messages are printed.
  const again = await demoDigestLines({ services, url: world.url });
  expect(again[0]).toContain('0 sent now');
  expect(again.slice(1)).toEqual(lines.slice(1));
  expect(await delivered()).toHaveLength(supervisors.length);
  process.stdout.write(lines.slice(0, 30).join('\n') + '\n');
});

it('should show a demo supervisor their team on a phone (screenshot test-artifacts/digest-phone.png)', async () => {
  const { services } = world.app;
  const supervisors = await digestServiceOf(services).supervisions();
  // The leader with the largest team that is not the whole corp: the page a team lead sees.
  const lead = [...supervisors].sort((a, b) => (a.scope === 'corp' ? 1 : 0) - (b.scope === 'corp' ? 1 : 0) || b.reps.length - a.reps.length)[0];
  const start = await fetch(`${world.url}/digest/auth/start`, { redirect: 'manual' });
  const stateCookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  const back = await fetch(`${world.url}/digest/auth/callback?code=${world.sim.admin.issueOAuthCode({ userId: lead.userId })}&state=${state}`,
    { redirect: 'manual', headers: { Cookie: stateCookie } });
  expect(back.status).toBe(302);
  const session = back.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('fc_digest='))!;
  const [name, ...value] = session.split('=');
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, locale: 'zh-CN' });
  try {
    await context.addCookies([{ name, value: value.join('='), url: world.url }]);
    const page = await context.newPage();
    const res = await page.goto(`${world.url}/digest/?date=2025-03-05`);
    expect(res!.status()).toBe(200);
    const body = (await page.textContent('body'))!;
    expect(body).toContain(`${lead.name}的团队客户日报`);
    expect(body).toContain(`${lead.reps.length} 位员工`);
    expect(await page.locator('[data-kpi] svg path').count()).toBeGreaterThanOrEqual(3);
    // The demo's book has something to say: named customers in at least one list.
    expect(await page.locator('tr[data-customer]').count()).toBeGreaterThan(0);
    // Nothing wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    const dir = path.resolve(__dirname, '..', '..', 'test-artifacts');
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'digest-phone.png'), fullPage: true });
  } finally {
    await context.close();
  }
});
