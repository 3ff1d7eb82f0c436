import { recordChanges } from '../../src/contacts/history';
import { activateFollow, upsertContact } from '../../src/contacts/repository';
import { openPhone, screenshot } from './browser';
import { BRIDGE_TIMEOUT_MS } from '../../sidebar/src/wecom/timeouts';
import { CUSTOMERS, GROUP, NOW, REPS, TAGS } from './fixture';
import { phoneSuite } from './world';

/** Issue 13's defects as a rep sees them on a phone inside WeCom (390×844, the scripted bridge). */

jest.setTimeout(120_000);

const suite = phoneSuite({ settings: { onDemandFetchMs: 3000 } });

const sidebar = () => `${suite.world.url}/sidebar/`;

describe('defect 12: complaints on the phone', () => {
  it('should show a suggestion as one to confirm, quoting the customer, with no "投诉处理中" anywhere', async () => {
    suite.world.signInAs.userId = REPS.zhangwei;
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.he });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=complaint-suggested]');
    expect((await page.textContent('[data-test=complaint-excerpt]'))!.trim()).toBe('客户说：“快递一周了还没到，再这样我要投诉了”');
    expect(await page.textContent('[data-test=pressure]')).toContain('暂不营销：客户可能在投诉，请先确认');
    expect(await page.locator('main').innerText()).not.toContain('投诉处理中');
    await screenshot(page, 'defect12-suggested');
    await context.close();
  });

  it("should show the rep's complaint note as their record, not as the customer's words", async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.liu });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=complaint-confirmed]');
    const excerpt = (await page.textContent('[data-test=complaint-excerpt]'))!.trim();
    expect(excerpt).toBe('你的记录：面霜包装破损漏液，已登记换货，等仓库回复');
    expect(excerpt).not.toMatch(/[“”"]/);
    await screenshot(page, 'defect12-rep-note');
    await context.close();
  });
});

describe('defect 7: timeline on the phone', () => {
  it('should name the tag, credit a synced one to WeCom, and filter to orders with one tap', async () => {
    await recordChanges(suite.world.app.services.db, [
      { externalUserId: CUSTOMERS.chen, userId: REPS.lina, kind: 'tag_added', at: NOW.getTime() - 60_000, cause: 'sync:run-1', detail: { tagId: TAGS.intent } },
    ], NOW.getTime());
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.goto(sidebar());
    const first = page.locator('[data-test=timeline-item]').first();
    await first.waitFor();
    expect(await first.innerText()).toContain('打上标签「高意向」');
    expect(await first.innerText()).toContain('企业微信同步');
    expect(await first.innerText()).not.toContain('李娜');
    await page.click('[data-test=timeline-filter-orders]');
    await page.waitForFunction(() => {
      const items = [...document.querySelectorAll('[data-test=timeline-item]')];
      return items.length > 0 && items.every((i) => i.classList.contains('tl-k-order'));
    });
    expect(await page.getAttribute('[data-test=timeline-filter-orders]', 'aria-pressed')).toBe('true');
    await page.locator('[data-test=timeline]').scrollIntoViewIfNeeded();
    await screenshot(page, 'defect7-timeline-orders');
    await page.click('[data-test=timeline-filter-all]');
    await page.waitForFunction(() => document.querySelector('[data-test=timeline-item]')?.textContent?.includes('高意向'));
    await context.close();
  });
});

describe('defect 8: a customer added a moment ago', () => {
  it('should say the customer is being synced (not "no permission") and show them on 重试', async () => {
    const { externalUserId } = suite.world.sim.admin.addContact({ userId: REPS.lina, name: '孔新新', welcome: false });
    suite.world.sim.admin.injectFault({ endpoint: 'externalcontact/get', kind: 'latency', count: 1, latencyMs: 120_000 });
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: externalUserId });
    try {
      await page.goto(sidebar());
      await page.waitForSelector('[role=alert]');
      const text = await page.textContent('[role=alert]');
      expect(text).toContain('正在同步客户资料');
      expect(text).toContain('正在从企业微信同步');
      expect(text).not.toContain('权限');
      await screenshot(page, 'defect8-syncing');
    } finally {
      suite.world.sim.admin.releaseHeld();
      suite.world.sim.admin.clearFaults();
    }
    await page.click('[role=alert] button:has-text("重试")');
    await page.waitForSelector('[data-test=contact-name]');
    expect(await page.textContent('[data-test=contact-name]')).toBe('孔新新');
    await context.close();
  });
});

describe('defect 9: avatars', () => {
  // WeCom's image CDN cannot exist here: Chromium's requests to it are answered with this PNG.
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkaPhfDwAE/wH+2ZRVSAAAAABJRU5ErkJggg==', 'base64');

  it("should load the customer's WeCom avatar (given as http://wx.qlogo.cn) under the page's CSP", async () => {
    const { externalUserId } = suite.world.sim.admin.addContact({ userId: REPS.lina, name: '沈头像', welcome: false });
    expect(String((suite.world.sim.admin.customer(externalUserId)!.customer as { avatar: string }).avatar)).toMatch(/^http:\/\/wx\.qlogo\.cn\//);
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: externalUserId });
    const fetched: string[] = [];
    await page.route(/^https?:\/\/wx\.qlogo\.cn\//, (route) => {
      fetched.push(route.request().url());
      return route.fulfill({ status: 200, contentType: 'image/png', body: PNG });
    });
    const violations: string[] = [];
    page.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=avatar]');
    await page.waitForFunction(() => (document.querySelector('[data-test=avatar]') as HTMLImageElement).complete);
    expect(await page.$eval('[data-test=avatar]', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    expect(fetched).toEqual([expect.stringMatching(/^https:\/\/wx\.qlogo\.cn\//)]);
    expect(violations).toEqual([]);
    await screenshot(page, 'defect9-avatar');
    await context.close();
  });

  it('should show a whole first letter for a name that starts with an emoji', async () => {
    const id = 'wmLuckyWang0010AAAA';
    const now = NOW.getTime();
    await suite.world.app.services.db.transaction(async (tx) => {
      await upsertContact(tx, { externalUserId: id, name: '✨Lucky小王', type: 1, gender: 2, corpName: null, avatar: null }, now);
      await activateFollow(tx, { userId: REPS.lina, externalUserId: id, remark: '✨Lucky小王-直播间', tags: [], addWay: 1, state: null, createdAt: now - 86_400_000 },
        'active', { at: now - 86_400_000, now, cause: 'test:lucky' });
    });
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: id });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=avatar-initial]');
    expect(await page.textContent('[data-test=avatar-initial]')).toBe('L');
    expect(await page.textContent('[data-test=contact-name]')).toBe('✨Lucky小王');
    await screenshot(page, 'defect9-emoji-initial');
    await context.close();
  });
});

describe('defect 13: 插入聊天 never hangs silently', () => {
  const message = async (page: import('playwright-core').Page) =>
    (await page.locator('[data-test=suggested-message]').innerText()).replace(/^建议话术\s*/, '').trim();

  it('should register with WeCom before inserting on a page opened by link (?contact=)', async () => {
    const { page, context, bridgeCalls } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.goto(`${sidebar()}?contact=${CUSTOMERS.chen}`);
    await page.waitForSelector('[data-test=insert]');
    expect((await bridgeCalls()).map((c) => c.name)).not.toContain('getContext');
    await page.click('[data-test=insert]');
    await page.waitForSelector('.toast:has-text("已放入输入框")');
    const names = (await bridgeCalls()).map((c) => c.name);
    expect(names).toContain('agentConfig');
    expect(names.indexOf('agentConfig')).toBeLessThan(names.indexOf('sendChatMessage'));
    await context.close();
  });

  it('should give up on a bridge that never answers, say so and copy the 话术 instead', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen, hang: ['sendChatMessage'] });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.world.url });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=insert]');
    const text = await message(page);
    // The page's timers from here on run on Playwright's clock: the timeout is reached by
    // advancing it, not by waiting 8 s.
    await page.clock.install();
    await page.click('[data-test=insert]');
    await page.waitForSelector('[data-test=insert][aria-busy=true]');
    expect(await page.textContent('[data-test=insert]')).toContain('正在放入…');
    await page.clock.runFor(BRIDGE_TIMEOUT_MS + 100);
    await page.waitForSelector('.toast');
    expect(await page.textContent('.toast')).toBe('企业微信没有响应。话术已复制，请在输入框长按粘贴');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
    expect(await page.textContent('[data-test=insert]')).toContain('插入聊天');
    await screenshot(page, 'defect13-insert-timeout');
    await context.close();
  });

  it('should tell the rep what a refusal means (no permission), and copy', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen, fail: { sendChatMessage: 'no permission' } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.world.url });
    await page.goto(sidebar());
    await page.click('[data-test=insert]');
    await page.waitForSelector('.toast');
    expect(await page.textContent('.toast')).toContain('应用没有「插入聊天」的权限');
    expect(await page.textContent('.toast')).toContain('话术已复制');
    await context.close();
  });
});

describe('defect 6: group view on the phone', () => {
  it("should put 刘洋's complaint first in the group, and say quiet hours at night", async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'group_chat_tools', chatId: GROUP });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=group-card]');
    expect(await page.textContent('[data-test=action-title]')).toBe('先在单聊跟进刘洋的投诉');
    expect(await page.textContent('[data-test=group-content]')).toContain('暂不发营销：刘洋的投诉还没处理完');
    expect(await page.locator('[data-test=insert]').count()).toBe(0);
    await screenshot(page, 'defect6-group-complaint');
    await context.close();
  });

  it('should say it is quiet hours, with nothing about caps, at 23:00', async () => {
    suite.world.clock.advance(12.5 * 3_600_000);
    try {
      const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'group_chat_tools', chatId: GROUP });
      await page.goto(sidebar());
      await page.waitForSelector('[data-test=group-card]');
      expect(await page.textContent('[data-test=group-content]')).toContain('现在是休息时间，群里不发内容');
      expect(await page.locator('main').innerText()).not.toContain('上限');
      await screenshot(page, 'defect6-group-night');
      await context.close();
    } finally {
      suite.world.clock.advance(-12.5 * 3_600_000);
    }
  });
});

describe('defect 10: layout', () => {
  /** Blank space between a card's last line and its bottom edge, and whether anything inside is cut off. */
  const fit = (page: import('playwright-core').Page, selector: string) => page.$eval(selector, (card) => {
    const r = card.getBoundingClientRect();
    const inner = [...card.querySelectorAll('*')].filter((e) => e.children.length === 0 && (e as HTMLElement).innerText?.trim());
    const lastBottom = Math.max(...inner.map((e) => e.getBoundingClientRect().bottom));
    const clipped = inner.filter((e) => e.scrollWidth > e.clientWidth + 1 || (e as HTMLElement).offsetHeight < e.scrollHeight - 1).map((e) => (e as HTMLElement).innerText);
    return { blank: Math.round(r.bottom - lastBottom - parseFloat(getComputedStyle(card).paddingBottom)), clipped, cut: card.scrollHeight > card.clientHeight + 1 };
  });

  it('should size the strip and the header to what they say: no blank band, nothing cut', async () => {
    for (const id of [CUSTOMERS.sun, CUSTOMERS.xie, CUSTOMERS.chen]) {
      const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: id });
      await page.setViewportSize({ width: 320, height: 640 });
      await page.goto(sidebar());
      await page.waitForSelector('[data-test=next-action]');
      for (const sel of ['[data-test=pressure]', 'section[aria-label=客户]']) {
        const f = await fit(page, sel);
        // Up to 10 px: a 28 px chip sits centred in its 44 px tap target.
        expect({ id, sel, ...f, blank: f.blank <= 10 }).toEqual({ id, sel, blank: true, clipped: [], cut: false });
      }
      if (id === CUSTOMERS.xie) await screenshot(page, 'defect10-contact-320');
      await context.close();
    }
    // The group's strip has three lines while 刘洋's complaint is open: all of them shown.
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'group_chat_tools', chatId: GROUP });
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=group-card]');
    for (const sel of ['[data-test=group-content]', '[data-test=group-card]']) {
      const f = await fit(page, sel);
      expect({ sel, ...f, blank: f.blank <= 10 }).toEqual({ sel, blank: true, clipped: [], cut: false });
    }
    expect(await page.locator('[data-test=group-content] li').count()).toBe(3);
    await screenshot(page, 'defect10-group-320');
    await context.close();
  });

  it('should show the tier reason in full at 320 px, and open every reason when tapped', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto(sidebar());
    const why = page.locator('[data-test=tier-why]');
    await why.waitFor();
    expect(await why.innerText()).toContain('近365天消费 ¥12,680 · 最近一次消费在');
    expect(await why.evaluate((e) => e.scrollWidth <= e.clientWidth && getComputedStyle(e).textOverflow !== 'ellipsis')).toBe(true);
    await why.click();
    await page.waitForSelector('[data-test=tier-reasons]');
    await context.close();
  });

  it('should never put a toast over 插入聊天, wherever the button is on screen', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.goto(sidebar());
    const insert = page.locator('[data-test=insert]');
    await insert.waitFor();
    for (const place of ['bottom', 'top'] as const) {
      // Put the button near the bottom edge, then near the top edge, of the phone's screen.
      await insert.evaluate((el, where) => {
        const r = el.getBoundingClientRect();
        window.scrollBy(0, where === 'bottom' ? r.bottom - window.innerHeight + 20 : r.top - 20);
      }, place);
      await insert.tap();
      const toast = page.locator('.toast');
      await toast.waitFor();
      const [a, b] = [(await insert.boundingBox())!, (await toast.boundingBox())!];
      const overlaps = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      expect({ place, overlaps }).toEqual({ place, overlaps: false });
      if (place === 'bottom') await screenshot(page, 'defect10-toast');
      await toast.waitFor({ state: 'detached' });
    }
    await context.close();
  });
});
