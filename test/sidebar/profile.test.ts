import { activateFollow, findFollow } from '../../src/contacts/repository';
import { insertMessages } from '../../src/messages/repository';
import { runCareRules } from '../../src/reminders/care-job';
import type { ContactProfileView, GroupProfileView } from '../../src/sidebar-api/types';
import { CUSTOMERS, GROUP, NOW, REPS } from './fixture';
import { SidebarClient } from './http';
import { startSidebarWorld, type SidebarWorld } from './world';

/**
 * Issue 13, "what reps reach for", over HTTP against the real server, the seeded corp and the
 * WeCom simulator, with the reminders module's own store: profile fields written back to WeCom,
 * the birthday feeding the suggestion and the care reminder, follow-up records with a reminder,
 * sales stage, tier override, colleagues, group members, and the session folded into the view.
 */

jest.setTimeout(120_000);

let world: SidebarWorld;

beforeAll(async () => {
  world = await startSidebarWorld({ storeReminders: true });
});

afterAll(async () => {
  await world?.stop();
});

async function as(userId: string): Promise<SidebarClient> {
  const c = new SidebarClient(world);
  expect((await c.signIn(userId)).status).toBe(302);
  return c;
}

const view = async (c: SidebarClient, id: string, query = '') => {
  const res = await c.json<ContactProfileView>('GET', `/sidebar/api/contacts/${id}${query}`);
  expect(res.status).toBe(200);
  return res.body;
};

const db = () => world.app.services.db;
const simFollow = (userId: string, ext: string) =>
  (world.sim.admin.customer(ext)!.follows as { userId: string; remark: string; description: string; remarkCorpName?: string; remarkMobiles: string[] }[])
    .find((f) => f.userId === userId)!;

describe('profile fields the rep edits', () => {
  it('should write phone, company and description back to WeCom, keep 称呼, region, birthday and custom fields, and show the phone masked', async () => {
    const c = await as(REPS.lina);
    const res = await c.json<ContactProfileView>('POST', `/sidebar/api/contacts/${CUSTOMERS.chen}/profile`, {
      salutation: '静姐', phone: '+86 138 0013 8000', birthday: '1988-03-07', region: '杭州', company: '云栖科技', description: '喜欢淡香型，对酒精敏感',
      custom: { skin_type: '干性', source_store: '西湖店' },
    });
    expect(res.status).toBe(200);
    expect(res.body.tools!.profile).toEqual({
      salutation: '静姐', addressedAs: '静姐', phoneMasked: '138****8000', birthday: '1988-03-07', birthdayLabel: '3月7日', region: '杭州',
      company: '云栖科技', description: '喜欢淡香型，对酒精敏感', wecomEditable: true,
      custom: [
        { key: 'skin_type', label: '肤质', type: 'select', options: ['干性', '油性', '混合', '敏感'], maxLength: 50, value: '干性' },
        { key: 'source_store', label: '所属门店', type: 'text', options: [], maxLength: 30, value: '西湖店' },
      ],
    });
    // The page never gets the full number.
    expect(JSON.stringify(res.body)).not.toContain('13800138000');
    // WeCom has the remark fields (through the typed client), and Fencun's mirror agrees.
    expect(simFollow(REPS.lina, CUSTOMERS.chen)).toMatchObject({ remarkMobiles: ['13800138000'], remarkCorpName: '云栖科技', description: '喜欢淡香型，对酒精敏感', remark: '陈姐' });
    expect(await findFollow(db(), REPS.lina, CUSTOMERS.chen)).toMatchObject({ remarkMobiles: ['13800138000'], remarkCorpName: '云栖科技', description: '喜欢淡香型，对酒精敏感' });
    // The header's company is the rep's remark company now.
    expect(res.body.contact.corpName).toBe('云栖科技');
  });

  it('should let the birthday drive the birthday suggestion (addressed by the 称呼) and the care reminder', async () => {
    const c = await as(REPS.lina);
    const p = await view(c, CUSTOMERS.chen);
    expect(p.nextAction.kind).toBe('birthday');
    expect(p.nextAction.reasons).toEqual(['1 天后（3月7日）是客户生日']);
    expect(p.nextAction.message).toBe('静姐，祝您生日快乐！新的一岁顺顺利利，有什么需要随时找我。');
    const summary = await runCareRules(world.app.services, NOW, 'daily');
    expect(summary.created).toBeGreaterThan(0);
    const [row] = await db().query<{ user_id: string; title: string; message: string }>(
      `SELECT user_id, title, message FROM reminders WHERE external_user_id = ? AND kind = 'birthday'`, [CUSTOMERS.chen]);
    // The reminder's 话术 addresses her by the 称呼 too, not by the remark (陈姐).
    expect(row).toMatchObject({ user_id: REPS.lina, message: '静姐，祝您生日快乐！新的一岁顺顺利利，有什么需要随时找我。' });
    // Clearing the birthday takes the suggestion away.
    const cleared = await c.json<ContactProfileView>('POST', `/sidebar/api/contacts/${CUSTOMERS.chen}/profile`, { birthday: null });
    expect(cleared.body.tools!.profile.birthday).toBeNull();
    expect(cleared.body.nextAction.kind).not.toBe('birthday');
  });

  it.each([
    [{ phone: '12345', region: '上海' }, '手机号格式不对：请填 11 位手机号（如 13800001111）或带区号的座机（如 021-12345678）'],
    [{ birthday: '2030-01-01' }, '生日不能晚于今天'],
    [{ birthday: '02-30' }, '生日要填日期，例如 1990-05-03；不知道年份就填 05-03'],
    [{ salutation: '陈姐-VIP' }, '称呼会出现在发给客户的话术里，请只写称呼（例如「陈姐」），备注写在描述里'],
    [{ salutation: '🌸🌸' }, '称呼要是客户能看到的名字，例如「王姐」「陈总」'],
    [{ company: '杭州云栖科技有限公司华东大区第二营销分公司', region: '上海' }, '公司最多 20 个字（现在 21 个）'],
    [{ custom: { skin_type: '中性' } }, '肤质只能选：干性、油性、混合、敏感'],
    [{ custom: { vip_level: '3' } }, '没有「vip_level」这个资料项（可填：肤质、所属门店）'],
    [{}, 'body: 没有要修改的资料'],
  ])('should refuse %j with a sentence and change nothing', async (body, message) => {
    const c = await as(REPS.lina);
    const before = await view(c, CUSTOMERS.chen);
    const calls = world.sim.admin.callCount('externalcontact/remark');
    const res = await c.json<{ message: string }>('POST', `/sidebar/api/contacts/${CUSTOMERS.chen}/profile`, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect(world.sim.admin.callCount('externalcontact/remark')).toBe(calls);
    expect((await view(c, CUSTOMERS.chen)).tools!.profile).toEqual(before.tools!.profile);
  });

  it('should say so when WeCom refuses the remark, and store nothing of the edit', async () => {
    const c = await as(REPS.lina);
    world.sim.admin.injectFault({ endpoint: 'externalcontact/remark', kind: 'errcode', errcode: 40058, count: 1 });
    const res = await c.json<{ message: string }>('POST', `/sidebar/api/contacts/${CUSTOMERS.chen}/profile`, { description: '新描述', region: '宁波' });
    expect(res.status).toBe(502);
    expect(res.body.message).toBe('企业微信没有保存成功（错误码 40058），资料没有修改，请稍后再试');
    const p = await view(c, CUSTOMERS.chen);
    expect(p.tools!.profile).toMatchObject({ description: '喜欢淡香型，对酒精敏感', region: '杭州' });
  });

  it('should keep Fencun\'s fields editable once the relation ended, and refuse WeCom\'s with the reason', async () => {
    const c = await as(REPS.lina);
    const ended = await c.json<{ message: string }>('POST', `/sidebar/api/contacts/${CUSTOMERS.feng}/profile`, { phone: '13900001111' });
    expect(ended.status).toBe(409);
    expect(ended.body.message).toBe('已不是好友，手机号、公司和描述无法写回企业微信');
    const ok = await c.json<ContactProfileView>('POST', `/sidebar/api/contacts/${CUSTOMERS.feng}/profile`, { salutation: '冯姐', region: '苏州' });
    expect(ok.status).toBe(200);
    expect(ok.body.tools!.profile).toMatchObject({ salutation: '冯姐', region: '苏州', wecomEditable: false });
  });

  it('should not let a rep edit a customer of another team', async () => {
    const c = await as(REPS.outsider);
    const res = await c.json('POST', `/sidebar/api/contacts/${CUSTOMERS.chen}/profile`, { region: '北京' });
    expect(res.status).toBe(403);
    expect((await view(await as(REPS.lina), CUSTOMERS.chen)).tools!.profile.region).toBe('杭州');
  });
});

describe('follow-up records', () => {
  const path = `/sidebar/api/contacts/${CUSTOMERS.sun}/follow-ups`;
  const followUpReminders = () => db().query<{ id: unknown; rule_key: string; status: string; due_at: unknown; user_id: string }>(
    `SELECT id, rule_key, status, due_at, user_id FROM reminders WHERE external_user_id = ? AND kind = 'follow_up' ORDER BY id`, [CUSTOMERS.sun]);

  it('should record a typed follow-up in the timeline and make one reminder for the rep at the planned time', async () => {
    const c = await as(REPS.lina);
    const res = await c.json<ContactProfileView>('POST', path, { type: 'phone', text: '电话聊了新茶，约明天下午再确认数量', nextAt: '2025-03-07T15:00' });
    expect(res.status).toBe(200);
    expect(res.body.timeline.items[0]).toMatchObject({ kind: 'note', title: '电话跟进 · 下次跟进 明天 15:00', body: '电话聊了新茶，约明天下午再确认数量', actor: '李娜' });
    expect(res.body.reminders).toContainEqual(expect.objectContaining({ title: '电话跟进：电话聊了新茶，约明天下午再确认数量', dueLabel: '明天 15:00 到期' }));
    const rows = await followUpReminders();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'open', user_id: REPS.lina, rule_key: expect.stringMatching(/^follow_up:\d+$/) });
    expect(Number(rows[0].due_at)).toBe(new Date('2025-03-07T15:00:00+08:00').getTime());
    // Filtered to the rep's records, it is there too.
    const notes = await c.json<{ items: { title: string }[] }>('GET', `/sidebar/api/contacts/${CUSTOMERS.sun}/timeline?filter=notes`);
    expect(notes.body.items[0].title).toBe('电话跟进 · 下次跟进 明天 15:00');
  });

  it('should let a new plan replace the old one (one open follow-up reminder)', async () => {
    const c = await as(REPS.lina);
    const res = await c.json<ContactProfileView>('POST', path, { type: 'visit', text: '改成下周一上门拜访', nextAt: '2025-03-10T10:00:00+08:00' });
    expect(res.status).toBe(200);
    const rows = await followUpReminders();
    expect(rows.map((r) => r.status)).toEqual(['done', 'open']);
    expect(res.body.reminders.filter((r) => r.title.includes('跟进：'))).toEqual([expect.objectContaining({ title: '拜访跟进：改成下周一上门拜访' })]);
    // A record without a next date keeps a plan that is still ahead.
    const plain = await c.json<ContactProfileView>('POST', path, { type: 'wechat', text: '微信发了茶叶资料' });
    expect(plain.status).toBe(200);
    expect(plain.body.timeline.items[0].title).toBe('微信跟进');
    expect((await followUpReminders()).map((r) => r.status)).toEqual(['done', 'open']);
  });

  it('should leave one open plan when several records with a next follow-up race', async () => {
    const c = await as(REPS.lina);
    const at = (d: number) => `2025-03-${String(10 + d).padStart(2, '0')}T10:00`;
    const answers = await Promise.all([0, 1, 2, 3, 4].map((d) =>
      c.json('POST', `/sidebar/api/contacts/${CUSTOMERS.zheng}/follow-ups`, { type: 'wechat', text: `第 ${d + 1} 次约`, nextAt: at(d) })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const rows = await db().query<{ status: string; rule_key: string }>(
      `SELECT status, rule_key FROM reminders WHERE external_user_id = ? AND kind = 'follow_up'`, [CUSTOMERS.zheng]);
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.status === 'open')).toHaveLength(1);
    // Each record has its own reminder (its cause), none shared.
    const notes = await db().query<{ id: unknown }>(`SELECT id FROM notes WHERE external_user_id = ? AND follow_type = 'wechat'`, [CUSTOMERS.zheng]);
    expect(new Set(rows.map((r) => r.rule_key))).toEqual(new Set(notes.map((n) => `follow_up:${n.id}`)));
  });

  it.each([
    [{ type: 'email', text: '发了邮件' }, '请选择跟进方式：微信、电话、到店或拜访'],
    [{ type: 'phone', text: '   ' }, '请写下这次跟进的内容'],
    [{ type: 'phone', text: '回电', nextAt: '2025-03-06T09:00' }, '下次跟进时间已经过去了，请选一个以后的时间'],
    [{ type: 'phone', text: '回电', nextAt: '下周' }, '下次跟进时间的格式不对，请选日期和时间，例如 2025-03-08 10:00'],
    [{ type: 'phone', text: '回电', nextAt: '2026-12-01T10:00' }, '下次跟进最多约在一年以内'],
  ])('should refuse %j with a sentence and record nothing', async (body, message) => {
    const c = await as(REPS.lina);
    const before = (await view(c, CUSTOMERS.sun)).timeline.items.length;
    const reminders = (await followUpReminders()).length;
    const res = await c.json<{ message: string }>('POST', path, body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect((await view(c, CUSTOMERS.sun)).timeline.items.length).toBe(before);
    expect((await followUpReminders()).length).toBe(reminders);
  });

  it('should keep records for an ended relation but refuse to plan a follow-up nobody can reach', async () => {
    const c = await as(REPS.lina);
    const planned = await c.json<{ message: string }>('POST', `/sidebar/api/contacts/${CUSTOMERS.feng}/follow-ups`, { type: 'phone', text: '打电话没接', nextAt: '2025-03-07T10:00' });
    expect(planned.status).toBe(409);
    expect(planned.body.message).toBe('客户已不是你的好友，不能再约下次跟进；跟进记录可以照常保存');
    const plain = await c.json<ContactProfileView>('POST', `/sidebar/api/contacts/${CUSTOMERS.feng}/follow-ups`, { type: 'phone', text: '打电话没接' });
    expect(plain.status).toBe(200);
    expect(plain.body.timeline.items[0].title).toBe('电话跟进');
  });
});

describe('sales stage and tier', () => {
  it('should set, show and clear the sales stage, refusing one that is not configured', async () => {
    const c = await as(REPS.lina);
    const path = `/sidebar/api/contacts/${CUSTOMERS.liu}/sales-stage`;
    const set = await c.json<ContactProfileView>('POST', path, { stage: 'quoted' });
    expect(set.status).toBe(200);
    expect(set.body.tools!.salesStage).toMatchObject({ id: 'quoted', label: '已报价', setLabel: '你 · 刚刚' });
    // The supervisor sees who set it.
    expect((await view(await as(REPS.supervisor), CUSTOMERS.liu)).tools!.salesStage.setLabel).toBe('李娜 · 刚刚');
    const bad = await c.json<{ message: string }>('POST', path, { stage: 'signed' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('没有这个销售阶段，可选：初步接触、有意向、已报价、已成交、复购、已流失');
    const cleared = await c.json<ContactProfileView>('POST', path, { stage: null });
    expect(cleared.body.tools!.salesStage).toMatchObject({ id: null, label: null, setLabel: null });
  });

  it('should override the tier with a reason (stored and explained), and go back to the score when removed', async () => {
    const c = await as(REPS.zhangwei);
    const path = `/sidebar/api/contacts/${CUSTOMERS.zhou}/tier-override`;
    const before = await view(c, CUSTOMERS.zhou);
    expect(before.tools!.tierOptions.map((t) => t.label)).toEqual(['核心', '重要', '普通', '潜在']);
    const target = before.tools!.tierOptions.find((t) => t.id !== before.tier.id && t.label === '核心')!;
    const set = await c.json<ContactProfileView>('POST', path, { tier: target.id, reason: '公司团购负责人，每季度集中采购' });
    expect(set.status).toBe(200);
    expect(set.body.tier).toMatchObject({ id: target.id, label: '核心', override: { reason: '公司团购负责人，每季度集中采购', author: '张伟' } });
    const [stored] = await db().query<{ tier: string }>('SELECT tier FROM customer_tiers WHERE external_user_id = ?', [CUSTOMERS.zhou]);
    expect(stored.tier).toBe(target.id);

    for (const [body, message] of [
      [{ tier: 'diamond', reason: '大客户' }, '没有这个等级，可选：核心、重要、普通、潜在'],
      [{ tier: target.id, reason: '好' }, '请写明调整等级的原因（至少 2 个字）'],
    ] as const) {
      const bad = await c.json<{ message: string }>('POST', path, body);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain(message);
    }
    const removed = await c.json<ContactProfileView>('DELETE', path);
    expect(removed.status).toBe(200);
    expect(removed.body.tier).toMatchObject({ id: before.tier.id, override: null });
    const [after] = await db().query<{ tier: string }>('SELECT tier FROM customer_tiers WHERE external_user_id = ?', [CUSTOMERS.zhou]);
    expect(after.tier).toBe(before.tier.id);
  });
});

describe('colleagues and group members', () => {
  it('should list the colleagues who also follow the customer with their last 1:1 contact', async () => {
    const now = NOW.getTime();
    await db().transaction((tx) => activateFollow(tx, {
      userId: REPS.zhangwei, externalUserId: CUSTOMERS.chen, remark: '陈静', tags: [], createdAt: now - 50 * 86_400_000,
    }, 'active', { at: now - 50 * 86_400_000, now, cause: 'test:chen-zhangwei' }));
    await db().transaction((tx) => insertMessages(tx, [
      { msgid: 'archive:chen-zw-1', channel: 'archive', direction: 'out', msgType: 'text', externalUserId: CUSTOMERS.chen, userId: REPS.zhangwei, text: '陈姐好', msgTime: now - 26 * 3_600_000 },
      { msgid: 'archive:chen-zw-2', channel: 'archive', direction: 'in', msgType: 'text', externalUserId: CUSTOMERS.chen, userId: REPS.zhangwei, text: '你好', msgTime: now - 25 * 3_600_000 },
    ], now));
    const lina = await view(await as(REPS.lina), CUSTOMERS.chen);
    expect(lina.tools!.colleagues).toEqual([{ userId: REPS.zhangwei, name: '张伟', lastContactLabel: '最近联系：昨天 09:30（客户来消息）' }]);
    const zw = await view(await as(REPS.zhangwei), CUSTOMERS.chen);
    expect(zw.tools!.colleagues).toEqual([{ userId: REPS.lina, name: '李娜', lastContactLabel: '最近联系：3月4日 17:00（发过消息）' }]);
    // Nobody else follows 孙磊.
    expect((await view(await as(REPS.lina), CUSTOMERS.sun)).tools!.colleagues).toEqual([]);
  });

  it('should list each group member with tier and tags, openable only by those who may see them', async () => {
    const res = await (await as(REPS.lina)).json<GroupProfileView>('GET', `/sidebar/api/groups/${GROUP}`);
    expect(res.status).toBe(200);
    const members = res.body.members!;
    expect(members.map((m) => m.name).sort()).toEqual(['刘洋', '周婷', '孙磊', '郑雨', '陈静'].sort());
    expect(members.find((m) => m.name === '陈静')).toMatchObject({ tierLabel: '核心', tags: expect.arrayContaining(['VIP', '护肤', '门店']), canOpen: true });
    expect(members.find((m) => m.name === '刘洋')).toMatchObject({ complaint: true, canOpen: true });
    // 周婷 is 张伟's: 李娜 cannot open her; their supervisor can.
    expect(members.find((m) => m.name === '周婷')!.canOpen).toBe(false);
    const boss = await (await as(REPS.supervisor)).json<GroupProfileView>('GET', `/sidebar/api/groups/${GROUP}`);
    expect(boss.body.members!.find((m) => m.name === '周婷')!.canOpen).toBe(true);
    // Highest tier first.
    expect(members[0].tierLabel).toBe('核心');
  });
});

describe('one round trip for a linked customer view', () => {
  it('should fold the session into the customer view when asked, and only then', async () => {
    const c = await as(REPS.lina);
    const folded = await view(c, CUSTOMERS.chen, '?session=1');
    expect(folded.session).toMatchObject({ userId: REPS.lina, name: '李娜', role: 'rep', demo: false });
    expect((await view(c, CUSTOMERS.chen)).session).toBeUndefined();
    // Without a session it is the same 401 the page re-authenticates on.
    const anon = await new SidebarClient(world).json<{ code: string }>('GET', `/sidebar/api/contacts/${CUSTOMERS.chen}?session=1`);
    expect(anon.status).toBe(401);
    expect(anon.body.code).toBe('SESSION_REQUIRED');
  });
});
