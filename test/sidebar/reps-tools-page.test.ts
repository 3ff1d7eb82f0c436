import { activateFollow, findFollow } from '../../src/contacts/repository';
import { insertMessages } from '../../src/messages/repository';
import { openPhone, screenshot } from './browser';
import { CUSTOMERS, GROUP, NOW, REPS } from './fixture';
import { phoneSuite } from './world';

/**
 * Issue 13, "what reps reach for", on a phone in a real browser against the real server, the
 * WeCom simulator and the reminders module's own store: the profile card and its sheet, follow-up
 * records with a reminder, the sales stage, the tier override, colleagues, the group's members,
 * and a linked customer view that needs one API round trip. Screenshots in test-artifacts/sidebar.
 */

jest.setTimeout(120_000);

const suite = phoneSuite({ storeReminders: true });

beforeAll(async () => {
  // 张伟 also follows 陈静 and chatted with her yesterday: a colleague on 李娜's page.
  const now = NOW.getTime();
  const db = suite.world.app.services.db;
  await db.transaction((tx) => activateFollow(tx, { userId: REPS.zhangwei, externalUserId: CUSTOMERS.chen, remark: '陈静', tags: [], createdAt: now - 50 * 86_400_000 },
    'active', { at: now - 50 * 86_400_000, now, cause: 'test:chen-zhangwei' }));
  await db.transaction((tx) => insertMessages(tx, [
    { msgid: 'archive:chen-zw-p1', channel: 'archive', direction: 'out', msgType: 'text', externalUserId: CUSTOMERS.chen, userId: REPS.zhangwei, text: '陈姐好，新品到了', msgTime: now - 25 * 3_600_000 },
  ], now));
});

const sidebar = () => `${suite.world.url}/sidebar/`;
const chat = (userId: string) => ({ entry: 'single_chat_tools' as const, userId });

describe('the profile card', () => {
  it('should edit 称呼, phone, birthday, region and a custom field in a sheet, show the phone masked, and let the birthday lead the suggestion', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, chat(CUSTOMERS.chen));
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=rep-tools]');
    expect(await page.textContent('[data-test=profile-facts]')).toContain('称呼陈姐');
    expect(await page.textContent('[data-test=colleagues]')).toContain('张伟最近联系：昨天 09:30（发过消息）');
    await screenshot(page, 'tools-card');

    await page.click('[data-test=profile-edit]');
    await page.fill('[data-test=pf-salutation]', '静姐');
    await page.fill('[data-test=pf-phone]', '138 0013 8000');
    await page.fill('[data-test=pf-birthday]', '1988-03-07');
    await page.fill('[data-test=pf-region]', '杭州');
    await page.selectOption('[data-test=pf-custom-skin_type]', '干性');
    await screenshot(page, 'tools-profile-sheet');
    await page.click('[data-test=profile-save]');
    await page.waitForSelector('.toast:has-text("资料已保存")');
    await page.waitForSelector('[data-test=profile-form]', { state: 'detached' });

    const facts = await page.textContent('[data-test=profile-facts]');
    for (const s of ['称呼静姐', '手机138****8000', '生日1988年3月7日', '地区杭州', '肤质干性', '公司杭州云栖科技']) expect(facts).toContain(s);
    expect(await page.content()).not.toContain('13800138000');
    // The birthday tomorrow is the one suggestion, addressed by the 称呼.
    expect(await page.textContent('[data-test=action-title]')).toBe('生日祝福');
    expect(await page.textContent('[data-test=suggested-message]')).toContain('静姐，祝您生日快乐');
    expect((await findFollow(suite.world.app.services.db, REPS.lina, CUSTOMERS.chen))!.remarkMobiles).toEqual(['13800138000']);
    await screenshot(page, 'tools-profile-saved');
    await context.close();
  });

  it('should keep the sheet and what was typed when a value is refused, and say why', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, chat(CUSTOMERS.chen));
    await page.goto(sidebar());
    await page.click('[data-test=profile-edit]');
    await page.fill('[data-test=pf-phone]', '12345');
    await page.click('[data-test=profile-save]');
    await page.waitForSelector('.toast:has-text("手机号格式不对")');
    expect(await page.inputValue('[data-test=pf-phone]')).toBe('12345');
    await screenshot(page, 'tools-profile-refused');
    await context.close();
  });
});

describe('follow-ups, stage and tier', () => {
  it('should record a phone follow-up with the next date, show it in the timeline and as a reminder', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, chat(CUSTOMERS.sun));
    await page.goto(sidebar());
    await page.click('[data-test=follow-up-open]');
    await page.click('[data-test=fu-type-phone]');
    await page.fill('[data-test=fu-text]', '电话聊了新茶，明天下午确认数量');
    await page.fill('[data-test=fu-next]', '2025-03-07T15:00');
    await screenshot(page, 'tools-follow-up-sheet');
    await page.click('[data-test=fu-save]');
    await page.waitForSelector('.toast:has-text("跟进记录已保存，到时会提醒你")');
    const first = await page.locator('[data-test=timeline-item]').first().innerText();
    expect(first).toContain('电话跟进 · 下次跟进 明天 15:00');
    expect(first).toContain('电话聊了新茶，明天下午确认数量');
    const [row] = await suite.world.app.services.db.query<{ user_id: string; status: string }>(
      `SELECT user_id, status FROM reminders WHERE external_user_id = ? AND kind = 'follow_up'`, [CUSTOMERS.sun]);
    expect(row).toEqual({ user_id: REPS.lina, status: 'open' });
    expect(await page.textContent('body')).toContain('电话跟进：电话聊了新茶，明天下午确认数量');
    await screenshot(page, 'tools-follow-up-saved', true);
    await context.close();
  });

  it('should set the sales stage with one tap and override the tier with a reason from the tier sheet', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, chat(CUSTOMERS.liu));
    await page.goto(sidebar());
    await page.click('[data-test=stage-quoted]');
    await page.waitForSelector('[data-test=stage-quoted][aria-pressed=true]');
    expect(await page.textContent('[data-test=rep-tools]')).toContain('你 · 刚刚');

    await page.click('[data-test=tier-badge]');
    await page.click('[data-test=tier-override-open]');
    await page.click('[data-test=ov-tier-core]');
    await page.fill('[data-test=ov-reason]', '公司团购负责人，每季度集中采购');
    await screenshot(page, 'tools-tier-override');
    await page.click('[data-test=ov-save]');
    await page.waitForSelector('.toast:has-text("等级已调整")');
    expect(await page.textContent('[data-test=tier-badge]')).toContain('核心客户');
    expect(await page.textContent('[data-test=tier-why]')).toContain('手动设定：公司团购负责人，每季度集中采购');
    await screenshot(page, 'tools-tier-overridden');

    // And back to the score.
    await page.click('[data-test=tier-badge]');
    await page.click('[data-test=tier-override-open]');
    await page.click('[data-test=ov-clear]');
    await page.waitForSelector('.toast:has-text("已恢复按评分分层")');
    expect(await page.textContent('[data-test=tier-why]')).not.toContain('手动设定');
    await context.close();
  });
});

describe('the group view', () => {
  it('should list members with tier and tags, and open a member the rep follows', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, { entry: 'group_chat_tools', chatId: GROUP });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=group-members]');
    const chen = await page.textContent(`[data-test=member-${CUSTOMERS.chen}]`);
    expect(chen).toContain('核心');
    expect(chen).toContain('VIP');
    expect(await page.textContent(`[data-test=member-${CUSTOMERS.liu}]`)).toContain('投诉');
    expect(await page.textContent(`[data-test=member-${CUSTOMERS.zhou}]`)).toContain('非你的客户');
    expect(await page.isDisabled(`[data-test=member-${CUSTOMERS.zhou}] button`)).toBe(true);
    await page.locator('[data-test=group-members]').scrollIntoViewIfNeeded();
    await screenshot(page, 'tools-group-members');
    await page.click(`[data-test=member-${CUSTOMERS.chen}] button`);
    await page.waitForSelector('[data-test=contact-name]');
    expect(await page.textContent('[data-test=contact-name]')).toBe('陈静');
    expect(page.url()).toContain(`?contact=${CUSTOMERS.chen}`);
    await context.close();
  });
});

describe('one round trip and a narrow phone', () => {
  it('should show a linked customer after one API request (the session comes with it)', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, chat(CUSTOMERS.chen));
    // Sign in first (OAuth), then open the link as a rep would from a reminder.
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=next-action]');
    const calls: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/sidebar/api/')) calls.push(u.pathname + u.search);
    });
    await page.goto(`${sidebar()}?contact=${CUSTOMERS.chen}`);
    await page.waitForSelector('[data-test=next-action]');
    expect(calls[0]).toBe(`/sidebar/api/contacts/${CUSTOMERS.chen}?session=1`);
    expect(calls).not.toContain('/sidebar/api/session');
    await context.close();
  });

  it('should fit a 320 px phone: nothing wider than the screen, the stage chips scroll instead', async () => {
    const { page, context } = await openPhone(suite.browser, suite.world, chat(CUSTOMERS.chen));
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto(sidebar());
    await page.waitForSelector('[data-test=rep-tools]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    const card = await page.locator('[data-test=rep-tools]').boundingBox();
    expect(card!.x + card!.width).toBeLessThanOrEqual(320);
    await page.locator('[data-test=rep-tools]').scrollIntoViewIfNeeded();
    await screenshot(page, 'tools-card-320');
    await context.close();
  });
});
