import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPhone, screenshot } from '../sidebar/browser';
import type { SidebarWorld } from '../sidebar/world';
import { startDemoWorld, type DemoWorld } from './world';

jest.setTimeout(180_000);

/** The README's screenshots: real pages of the seeded demo, on a phone-sized viewport. */
const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const START = new Date('2025-03-06T10:30:00+08:00');

let world: DemoWorld;
let browser: Browser;

beforeAll(async () => {
  [world, browser] = await Promise.all([startDemoWorld(START), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

async function keep(page: Page, name: string): Promise<void> {
  const file = await screenshot(page, name);
  if (process.env.FENCUN_UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.copyFileSync(file, path.join(SCREENSHOTS, `${name}.png`));
  }
}

describe('the demo picker in a browser', () => {
  it('should lead from the suggested rep to customers by tier with their stage and marks, search, and open the sidebar', async () => {
    const show = world.summary.showcase;
    const rep = world.summary.showcaseRep!;
    const { page, context } = await openPhone(browser, world as unknown as SidebarWorld, null);
    await page.goto(`${world.url}/sidebar/`);
    await page.waitForSelector('[data-test=demo-picker]');
    // Colleagues by team, the place to start marked.
    expect(await page.textContent(`[data-test=demo-rep-${rep.userId}]`)).toContain('从这里开始');
    expect(await page.textContent('[data-test=demo-picker]')).toContain('销售1组');

    await page.click(`[data-test=demo-rep-${rep.userId}]`);
    await page.waitForSelector(`[data-test=demo-target-${show.core_post_sale}]`);
    const tierHeads = await page.$$eval('[data-test^=demo-tier-]', (els) => els.map((e) => e.textContent ?? ''));
    expect(tierHeads.map((h) => h.split(' ')[0])).toEqual(['核心', '重要', '普通', '潜在']);
    expect(await page.textContent(`[data-test=demo-target-${show.complaint}]`)).toContain('投诉');
    expect(await page.textContent(`[data-test=demo-target-${show.service}]`)).toContain('待回复');
    expect(await page.textContent(`[data-test=demo-target-${show.give_space}]`)).toContain('暂不打扰');
    expect(await page.textContent(`[data-test=demo-target-${show.churn}]`)).toContain('流失风险');
    expect(await page.textContent(`[data-test=demo-target-${show.core_post_sale}] [data-test=demo-target-stage]`)).toBe('活跃');
    await keep(page, 'demo-picker');

    // The search box finds a customer anywhere in the book.
    const name = (await page.textContent(`[data-test=demo-target-${show.dormant}] .ellipsis`))!.trim().split(' ')[0];
    await page.fill('[data-test=demo-search]', name);
    await page.waitForFunction((n) => {
      const rows = [...document.querySelectorAll('[data-test^=demo-target-wm], [data-test^=demo-target-wo]')];
      return rows.length > 0 && rows.every((r) => (r.textContent ?? '').includes(n));
    }, name);
    await page.fill('[data-test=demo-search]', '');
    await page.waitForSelector(`[data-test=demo-target-${show.core_post_sale}]`);

    // A core customer: the sidebar's suggestion, next to the chat.
    await page.click(`[data-test=demo-target-${show.core_post_sale}]`);
    await page.waitForSelector('[data-test=next-action]');
    expect(await page.textContent('[data-test=tier-badge]')).toContain('核心');
    expect(await page.textContent('[data-test=action-title]')).toContain('山茶花精华套装');
    await keep(page, 'sidebar-core-customer');

    // Give space: three unanswered approaches, so Fencun says wait, and until when.
    await page.goto(`${world.url}/sidebar/?contact=${show.give_space}`);
    await page.waitForSelector('[data-test=next-action]');
    expect(await page.textContent('[data-test=action-title]')).toBe('暂不打扰');
    expect(await page.textContent('[data-test=action-reasons]')).toContain('连续 3 次主动联系未获回复');
    await keep(page, 'sidebar-give-space');

    // A churned customer (deleted the rep): said first, and only what still makes sense is offered.
    await page.goto(`${world.url}/sidebar/?contact=${show.lost}`);
    await page.waitForSelector('[data-test=relation-notice]');
    expect(await page.textContent('[data-test=relation-notice]')).toContain('客户已把你从好友中删除');
    await keep(page, 'sidebar-churned-customer');

    // A group the rep owns: its customers by tier, what it may still receive, its members.
    const [group] = await world.app.services.db.query<{ chat_id: string }>(
      `SELECT g.chat_id FROM customer_groups g JOIN customer_group_members m ON m.chat_id = g.chat_id AND m.member_type = 2 AND m.left_at IS NULL
       WHERE g.owner_user_id = ? GROUP BY g.chat_id ORDER BY COUNT(*) DESC, g.chat_id LIMIT 1`, [rep.userId]);
    await page.goto(`${world.url}/sidebar/?chat=${group.chat_id}`);
    await page.waitForSelector('[data-test=group-tiers]');
    await keep(page, 'sidebar-group');
    await context.close();
  });
});
