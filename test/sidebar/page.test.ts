import { findFollowTags } from '../../src/contacts/follow-details';
import { findNotesOfCustomer } from '../../src/notes/repository';
import { TEST_WECOM } from '../helpers/wecom-callback';
import { openPhone, screenshot, type BridgeCall } from './browser';
import { CUSTOMERS, GROUP, REPS, TAGS } from './fixture';
import { phoneSuite } from './world';

jest.setTimeout(120_000);

const suite = phoneSuite();

const sidebar = () => `${suite.world.url}/sidebar/`;

function signedUrl(call: BridgeCall | undefined): { timestamp: string; nonceStr: string; signature: string } {
  const p = call!.params;
  if (call!.name === 'preVerifyJSAPI') return { timestamp: String(p.verifyTimestamp), nonceStr: String(p.verifyNonceStr), signature: String(p.verifySignature) };
  return { timestamp: String(p.timestamp), nonceStr: String(p.nonceStr), signature: String(p.signature) };
}

describe('single chat', () => {
  it('should sign in, register with a valid agentConfig signature and show the customer next to the chat', async () => {
    const { page, context, bridgeCalls } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    const hits = suite.world.authorizeHits;
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=next-action]');
    expect(suite.world.authorizeHits).toBe(hits + 1);

    await expect(page.textContent('[data-test=contact-name]')).resolves.toBe('陈静');
    expect(await page.textContent('[data-test=tier-badge]')).toContain('核心客户');
    expect(await page.textContent('[data-test=pressure]')).toContain('本周还可主动联系 2 次');
    expect(await page.textContent('[data-test=action-title]')).toBe('售后关怀：山茶花精华套装');
    expect(await page.textContent('[data-test=suggested-message]')).toContain('山茶花精华套装收到有几天了');
    expect(await page.textContent('[data-test=orders]')).toContain('¥12,680');
    expect(await page.textContent('[data-test=tags]')).toContain('VIP');
    await screenshot(page, 'contact');
    await screenshot(page, 'contact-full', true);

    const calls = await bridgeCalls();
    const agent = calls.find((c) => c.name === 'agentConfig');
    expect(agent!.params).toMatchObject({ corpid: TEST_WECOM.corpId, agentid: TEST_WECOM.agentId });
    expect(suite.world.sim.admin.verifyJsapiSignature({ kind: 'agent_config', url: page.url().split('#')[0], ...signedUrl(agent) })).toBe(true);
    // A 4.x client needs no wx.config first (API.md 4.17).
    expect(calls.some((c) => c.name === 'preVerifyJSAPI')).toBe(false);
    expect(calls.map((c) => c.name)).toEqual(expect.arrayContaining(['getContext', 'getCurExternalContact']));
    await context.close();
  });

  it('should put the suggested message into the chat through the bridge', async () => {
    const { page, context, bridgeCalls } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.goto(sidebar());
    const message = (await page.locator('[data-test=suggested-message]').innerText()).replace(/^建议话术\s*/, '').trim();
    await page.click('[data-test=insert]');
    await page.waitForSelector('.toast');
    expect(await page.textContent('.toast')).toContain('已放入输入框');
    const send = (await bridgeCalls()).find((c) => c.name === 'sendChatMessage');
    expect(send!.params).toMatchObject({ msgtype: 'text', enterChat: false, text: { content: message } });
    expect(message).toContain('山茶花精华套装');
    await context.close();
  });

  it('should explain the tier when the badge is tapped', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.goto(sidebar());
    await page.click('[data-test=tier-badge]');
    await page.waitForSelector('[data-test=tier-reasons]');
    const reasons = await page.textContent('[data-test=tier-reasons]');
    expect(reasons).toContain('近365天消费 ¥12,680');
    expect(reasons).toContain('标签「VIP」');
    await screenshot(page, 'tier-reasons');
    await context.close();
  });

  it('should save a note typed in the sidebar', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.goto(sidebar());
    await page.fill('[data-test=note-text]', '客户想要无香型的面霜，下周到货再通知');
    await page.click('[data-test=note-save]');
    await page.waitForSelector('.toast:has-text("跟进记录已保存")');
    await expect(page.locator('[data-test=timeline-item]').first().innerText()).resolves.toContain('客户想要无香型的面霜');
    const notes = await findNotesOfCustomer(suite.world.app.services.db, CUSTOMERS.chen);
    expect(notes[0]).toMatchObject({ text: '客户想要无香型的面霜，下周到货再通知', userId: REPS.lina, isComplaint: false });
    await context.close();
  });

  it('should edit corp tags and show them at once', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.liu });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=tags]');
    await page.click('[data-test=edit-tags]');
    await page.click('[data-test="tag-高意向"]');
    await screenshot(page, 'tags-sheet');
    await page.click('[data-test=tags-save]');
    await page.waitForSelector('[data-test=tags] >> text=高意向');
    const stored = await findFollowTags(suite.world.app.services.db, REPS.lina, CUSTOMERS.liu);
    expect(stored.map((t) => t.tagId).sort()).toEqual([TAGS.makeup, TAGS.intent].sort());
    const follow = (suite.world.sim.admin.customer(CUSTOMERS.liu)!.follows as { userId: string; tagIds: string[] }[])[0];
    expect(follow.tagIds.sort()).toEqual([TAGS.makeup, TAGS.intent].sort());
    await context.close();
  });

  it('should load older history as the rep scrolls down', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=timeline-item]');
    const first = await page.locator('[data-test=timeline-item]').count();
    await page.locator('.tl-end').scrollIntoViewIfNeeded();
    await page.waitForSelector('.tl-end:has-text("没有更早的记录了")');
    expect(await page.locator('[data-test=timeline-item]').count()).toBeGreaterThan(first);
    await context.close();
  });

  it('should show a complaint in progress as "do not disturb", and a silent customer as "give space"', async () => {
    const liu = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.liu });
    await liu.page.goto(sidebar());
    await liu.page.waitForSelector('[data-test=next-action]');
    expect(await liu.page.textContent('[data-test=pressure]')).toContain('暂不打扰：投诉处理中');
    expect(await liu.page.textContent('[data-test=action-title]')).toBe('跟进投诉');
    await screenshot(liu.page, 'contact-complaint');
    await liu.context.close();

    const sun = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.sun });
    await sun.page.goto(sidebar());
    await sun.page.waitForSelector('[data-test=next-action]');
    expect(await sun.page.textContent('[data-test=action-title]')).toBe('暂不打扰');
    expect(await sun.page.locator('[data-test=insert]').count()).toBe(0);
    await screenshot(sun.page, 'contact-give-space');
    await sun.context.close();
  });
});

describe('complaints', () => {
  it('should let the rep dismiss a possible complaint flagged by keywords', async () => {
    suite.world.signInAs.userId = REPS.zhangwei;
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.he });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=complaint-suggested]');
    expect(await page.textContent('[data-test=complaint-suggested]')).toContain('我要投诉');
    await screenshot(page, 'complaint-suggested');
    await page.click('[data-test=complaint-dismiss]');
    await page.waitForSelector('.toast:has-text("已标记为不是投诉")');
    expect(await page.locator('[data-test=complaint-suggested]').count()).toBe(0);
    expect(await suite.world.app.services.judgement.complaints.openOf(CUSTOMERS.he)).toEqual([]);
    await context.close();
  });

  it('should close a complaint in progress with how it was resolved', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.liu });
    await page.goto(sidebar());
    await page.click('[data-test=complaint-close]');
    await page.click('[data-test=resolution-compensated]');
    await page.fill('[data-test=resolution-note]', '已补发新品并赠送小样，客户满意');
    await screenshot(page, 'complaint-close');
    await page.click('[data-test=resolution-save]');
    await page.waitForSelector('.toast:has-text("投诉已关闭")');
    expect(await page.locator('[data-test=complaint-confirmed]').count()).toBe(0);
    expect(await page.textContent('[data-test=pressure]')).not.toContain('投诉处理中');
    const [closed] = await suite.world.app.services.db.query<{ status: string; resolution_code: string; resolution_note: string }>(
      'SELECT status, resolution_code, resolution_note FROM complaints WHERE external_user_id = ?', [CUSTOMERS.liu]);
    expect(closed).toEqual({ status: 'closed', resolution_code: 'compensated', resolution_note: '已补发新品并赠送小样，客户满意' });
    await context.close();
  });
});

describe('phone layout', () => {
  it('should fit a 320 px screen without sideways scrolling, with every button at least 44 px', async () => {
    for (const bridge of [{ entry: 'single_chat_tools' as const, userId: CUSTOMERS.chen }, { entry: 'group_chat_tools' as const, chatId: GROUP }]) {
      const { page, context } = await openPhone(suite.browser, suite.world, bridge);
      await page.setViewportSize({ width: 320, height: 640 });
      await page.goto(sidebar());
      await page.waitForSelector('[data-test=next-action]');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
      const small = await page.$$eval('button', (els) => els
        .map((e) => ({ text: (e as HTMLElement).innerText.trim(), r: e.getBoundingClientRect() }))
        .filter((b) => b.r.width > 0 && (b.r.height < 44 || b.r.width < 44))
        .map((b) => `${b.text} ${Math.round(b.r.width)}×${Math.round(b.r.height)}`));
      expect(small).toEqual([]);
      await screenshot(page, bridge.entry === 'group_chat_tools' ? 'group-320' : 'contact-320');
      await context.close();
    }
  });

  it('should paint the page skeleton before any data arrives, in the same place as the content', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/sidebar/api/contacts/**', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=skeleton]');
    const skeleton = await page.$$eval('[data-test=skeleton] > section', (els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
    await screenshot(page, 'contact-loading');
    release();
    await page.waitForSelector('[data-test=next-action]');
    const content = await page.$$eval('main > section', (els) => els.slice(0, 3).map((e) => Math.round(e.getBoundingClientRect().top)));
    expect(content).toEqual(skeleton);
    await context.close();
  });
});

describe('group chat', () => {
  it('should show the group card and its next step', async () => {
    const { page, context, bridgeCalls } = await openPhone(suite.browser, suite.world, { entry: 'group_chat_tools', chatId: GROUP });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=group-card]');
    expect(await page.textContent('[data-test=group-name]')).toBe('山茶花会员群');
    expect(await page.textContent('[data-test=group-size]')).toContain('7');
    expect(await page.textContent('[data-test=group-content]')).toContain('今天还可发 1 条，本周还可发 3 条');
    expect(await page.textContent('[data-test=group-tier-core]')).toContain('陈静');
    expect(await page.textContent('[data-test=group-recent]')).toContain('郑雨');
    expect(await page.textContent('[data-test=action-title]')).toBe('欢迎 1 位新成员');
    await screenshot(page, 'group');
    await screenshot(page, 'group-full', true);
    expect((await bridgeCalls()).some((c) => c.name === 'getCurExternalChat')).toBe(true);
    await context.close();
  });
});

describe('access and sessions', () => {
  it("should refuse another rep's customer with 403 and say why", async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.zhou });
    const res = page.waitForResponse((r) => r.url().includes(`/sidebar/api/contacts/${CUSTOMERS.zhou}`));
    await page.goto(sidebar());
    expect((await res).status()).toBe(403);
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toContain('你没有查看该客户的权限');
    await screenshot(page, 'forbidden');
    await context.close();
  });

  it('should sign in again silently when the session has expired, keeping an unsent note', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=next-action]');
    const hits = suite.world.authorizeHits;
    await page.fill('[data-test=note-text]', '下次推荐无香型');
    suite.world.clock.advance(9 * 3_600_000);
    try {
      // 401 → /sidebar/auth/start → WeCom authorize → callback → the same page, signed in again.
      const callback = page.waitForResponse((r) => r.url().includes('/sidebar/auth/callback'));
      await page.click('[data-test=note-save]');
      expect((await callback).status()).toBe(302);
      await page.waitForSelector('[data-test=next-action]');
      expect(suite.world.authorizeHits).toBe(hits + 1);
      expect(await page.inputValue('[data-test=note-text]')).toBe('下次推荐无香型');
      // And a plain reload after expiry goes through OAuth before any content.
      suite.world.clock.advance(9 * 3_600_000);
      await page.reload();
      await page.waitForSelector('[data-test=next-action]');
      expect(suite.world.authorizeHits).toBe(hits + 2);
    } finally {
      suite.world.clock.advance(-18 * 3_600_000);
    }
    await context.close();
  });

  it('should sign wx.config too for clients older than 3.0.24, both verifiable', async () => {
    const { page, context, bridgeCalls } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen }, { clientVersion: '3.0.10' });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=next-action]');
    const calls = await bridgeCalls();
    const config = calls.find((c) => c.name === 'preVerifyJSAPI');
    const agent = calls.find((c) => c.name === 'agentConfig');
    const url = page.url().split('#')[0];
    expect(suite.world.sim.admin.verifyJsapiSignature({ kind: 'jsapi', url, ...signedUrl(config) })).toBe(true);
    expect(suite.world.sim.admin.verifyJsapiSignature({ kind: 'agent_config', url, ...signedUrl(agent) })).toBe(true);
    await context.close();
  });

  it('should tell the admin what to configure when WeCom rejects the signature', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.chen, agentConfigFails: 'invalid signature' });
    await page.goto(sidebar());
    await page.waitForSelector('[role=alert]');
    const text = await page.textContent('[role=alert]');
    expect(text).toContain('JS-SDK 签名校验失败');
    expect(text).toContain('PUBLIC_BASE_URL');
    await screenshot(page, 'error-signature');
    await context.close();
  });

  it('should ask to be opened inside WeCom when there is no bridge', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, null);
    await page.goto(sidebar());
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toContain('请在企业微信中打开');
    await context.close();
  });
});

describe('issue 13: what the phone shows', () => {
  it('should say first that the customer deleted the rep, and offer no chat or tag actions', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.feng });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=relation-notice]');
    const notice = page.locator('[data-test=relation-notice]');
    expect(await notice.innerText()).toContain('客户已把你从好友中删除');
    // First: above the header and everything else.
    const noticeBox = (await notice.boundingBox())!;
    const headerBox = (await page.locator('[data-test=contact-name]').boundingBox())!;
    expect(noticeBox.y).toBeLessThan(headerBox.y);
    expect(await page.textContent('[data-test=pressure]')).toContain('已无法联系');
    expect(await page.textContent('[data-test=pressure]')).not.toContain('还可主动联系');
    expect(await page.textContent('[data-test=action-title]')).toBe('已无法联系');
    expect(await page.locator('[data-test=insert]').count()).toBe(0);
    expect(await page.locator('[data-test=edit-tags]').count()).toBe(0);
    await screenshot(page, 'contact-deleted-by-customer');
    await context.close();
  });

  it('should greet by the customer-safe name and describe the waiting messages as the strip does', async () => {
    const { page, context, bridgeCalls } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.xie });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=next-action]');
    expect(await page.textContent('[data-test=pressure]')).toContain('1 小时前来消息');
    expect(await page.textContent('[data-test=action-reasons]')).toContain('最早一条 19 天前，最近一条 1 小时前');
    await page.click('[data-test=insert]');
    await page.waitForSelector('.toast');
    const send = (await bridgeCalls()).find((c) => c.name === 'sendChatMessage');
    expect(send!.params).toMatchObject({ text: { content: '谢总您好，久等了！您的消息我看到了，这就帮您处理。' } });
    await screenshot(page, 'contact-waiting-safe-name');
    await context.close();
  });

  it('should show the 话术 for later to read, with no way to insert it, when giving space', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'single_chat_tools', userId: CUSTOMERS.sun });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=later-message]');
    expect(await page.textContent('[data-test=action-title]')).toBe('暂不打扰');
    expect(await page.textContent('[data-test=action-reasons]')).toMatch(/\d{2}:\d{2} 起可以再试一次/);
    // The strip and the card name the same instant.
    const when = (await page.textContent('[data-test=action-reasons]'))!.match(/(\d+月\d+日|今天|明天|周.) (\d{2}:\d{2}) 起可以再试一次/)!.slice(1).join(' ');
    expect(await page.textContent('[data-test=pressure]')).toContain(`暂不打扰：${when} 起再联系`);
    expect(await page.locator('[data-test=insert]').count()).toBe(0);
    expect(await page.locator('[data-test=copy]').count()).toBe(0);
    await screenshot(page, 'contact-give-space-later');
    await context.close();
  });
});
