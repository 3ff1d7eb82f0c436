import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decrypt, encrypt, getJsApiSignature, getSignature } from '@wecom/crypto';
import {
  decryptMessage, encryptMessage, generateSeed, loadSeedFile, RunningSimulator, saveSeedFile, signature,
} from '../../src/wecom-simulator';
import { TEST_WECOM } from '../helpers/wecom-callback';
import { busiestRep, startTestSimulator } from './support';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('WeCom simulator', () => {
  let sim: RunningSimulator;
  let token: string;

  const get = async (p: string, q: Record<string, string> = {}): Promise<Json> =>
    (await fetch(`${sim.url}/cgi-bin/${p}?${new URLSearchParams({ access_token: token, ...q })}`)).json() as Promise<Json>;
  const post = async (p: string, body: unknown, q: Record<string, string> = {}): Promise<Json> =>
    (await fetch(`${sim.url}/cgi-bin/${p}?${new URLSearchParams({ access_token: token, ...q })}`, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<Json>;
  const admin = async (method: string, p: string, body?: unknown): Promise<Json> =>
    (await fetch(`${sim.url}/__admin${p}`, { method, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<Json>;

  beforeEach(async () => {
    sim = await startTestSimulator();
    const r = await (await fetch(`${sim.url}/cgi-bin/gettoken?corpid=${TEST_WECOM.corpId}&corpsecret=${TEST_WECOM.secret}`)).json();
    token = (r as Json).access_token;
  });
  afterEach(async () => {
    await sim.stop();
  });

  describe('credentials', () => {
    it('should return the same token within its validity and refuse wrong credentials', async () => {
      const again = await (await fetch(`${sim.url}/cgi-bin/gettoken?corpid=${TEST_WECOM.corpId}&corpsecret=${TEST_WECOM.secret}`)).json();
      expect((again as Json).access_token).toBe(token);
      const badSecret = await (await fetch(`${sim.url}/cgi-bin/gettoken?corpid=${TEST_WECOM.corpId}&corpsecret=nope`)).json();
      expect(badSecret).toMatchObject({ errcode: 40001 });
      const badCorp = await (await fetch(`${sim.url}/cgi-bin/gettoken?corpid=wwother0000000&corpsecret=${TEST_WECOM.secret}`)).json();
      expect(badCorp).toMatchObject({ errcode: 40013 });
    });

    it('should answer 40014 for an unknown token and 42001 once expired', async () => {
      expect((await get('department/list')).errcode).toBe(0);
      token = 'forged';
      expect((await get('department/list')).errcode).toBe(40014);
      token = (await (await fetch(`${sim.url}/cgi-bin/gettoken?corpid=${TEST_WECOM.corpId}&corpsecret=${TEST_WECOM.secret}`)).json() as Json).access_token;
      await admin('POST', '/tokens/expire');
      expect((await get('department/list')).errcode).toBe(42001);
    });

    it('should expire tokens with time', async () => {
      sim.admin.advanceTime(7201 * 1000);
      expect((await get('department/list')).errcode).toBe(42001);
    });

    it('should issue JS-SDK tickets that verify page signatures and limit fetches to 100 an hour', async () => {
      const t1 = await get('get_jsapi_ticket');
      const t2 = await get('get_jsapi_ticket');
      expect(t1).toMatchObject({ errcode: 0, expires_in: 7200 });
      expect(t2.ticket).toBe(t1.ticket);
      const agent = await get('ticket/get', { type: 'agent_config' });
      expect(agent.ticket).not.toBe(t1.ticket);
      const url = 'https://scrm.example.com/sidebar/?x=1#frag';
      const s = getJsApiSignature({ url: url.split('#')[0], ticket: agent.ticket, nonceStr: 'abc', timestamp: 1700000000 });
      expect(sim.admin.verifyJsapiSignature({ kind: 'agent_config', url, nonceStr: 'abc', timestamp: 1700000000, signature: s.signature })).toBe(true);
      expect(sim.admin.verifyJsapiSignature({ kind: 'jsapi', url, nonceStr: 'abc', timestamp: 1700000000, signature: s.signature })).toBe(false);
      for (let i = 0; i < 98; i++) await get('get_jsapi_ticket');
      expect((await get('get_jsapi_ticket')).errcode).toBe(45009);
    });

    it('should accept an OAuth code once and only within 5 minutes', async () => {
      const rep = busiestRep(sim);
      const { code } = await admin('POST', '/oauth/codes', { userId: rep });
      expect(await get('auth/getuserinfo', { code })).toMatchObject({ errcode: 0, userid: rep });
      expect((await get('auth/getuserinfo', { code })).errcode).toBe(40029);
      const late = sim.admin.issueOAuthCode({ userId: rep });
      sim.admin.advanceTime(5 * 60_000 + 1_000);
      expect((await get('auth/getuserinfo', { code: late })).errcode).toBe(40029);
      const outsider = sim.admin.issueOAuthCode({ openId: 'oXYZ', externalUserId: 'wmX' });
      expect(await get('auth/getuserinfo', { code: outsider })).toMatchObject({ errcode: 0, openid: 'oXYZ', external_userid: 'wmX' });
    });
  });

  describe('limits', () => {
    it('should answer 45009 past an endpoint frequency limit and recover in the next window', async () => {
      await admin('POST', '/rate-limits', { endpoint: 'user/get', limit: 3, windowMs: 60_000 });
      const rep = busiestRep(sim);
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await get('user/get', { userid: rep })).errcode);
      expect(codes).toEqual([0, 0, 0, 45009, 45009]);
      sim.admin.advanceTime(60_000);
      expect((await get('user/get', { userid: rep })).errcode).toBe(0);
    });

    it('should limit app messages per member and robots per key', async () => {
      sim.admin.setRateLimit('message/send:member', { limit: 2, windowMs: 60_000 });
      const rep = busiestRep(sim);
      const send = () => post('message/send', { touser: rep, msgtype: 'text', agentid: Number(TEST_WECOM.agentId), text: { content: 'hi' } });
      expect([(await send()).errcode, (await send()).errcode, (await send()).errcode]).toEqual([0, 0, 45009]);
      const robot = (key: string) => fetch(`${sim.url}/cgi-bin/webhook/send?key=${key}`, { method: 'POST', body: JSON.stringify({ msgtype: 'text', text: { content: 'x' } }) }).then((r) => r.json() as Promise<Json>);
      const codes = [];
      for (let i = 0; i < 21; i++) codes.push((await robot('k1')).errcode);
      expect(codes.filter((c) => c === 0)).toHaveLength(20);
      expect(codes[20]).toBe(45009);
      expect((await robot('k2')).errcode).toBe(0);
    });

    it('should accept a welcome message only within 20 s and only once (41051)', async () => {
      const rep = busiestRep(sim);
      const first = sim.admin.addContact({ userId: rep, name: '张三' });
      const ok = await post('externalcontact/send_welcome_msg', { welcome_code: first.welcomeCode, text: { content: '欢迎' } });
      expect(ok.errcode).toBe(0);
      const twice = await post('externalcontact/send_welcome_msg', { welcome_code: first.welcomeCode, text: { content: '欢迎' } });
      expect(twice.errcode).toBe(41051);
      const second = sim.admin.addContact({ userId: rep, name: '李四' });
      sim.admin.advanceTime(21_000);
      const late = await post('externalcontact/send_welcome_msg', { welcome_code: second.welcomeCode, text: { content: '欢迎' } });
      expect(late.errcode).toBe(41051);
      expect(sim.admin.welcomeMessages()).toHaveLength(1);
    });

    it('should filter customers past WeCom\'s mass quota (corp and member sends together) into fail_list and status 3', async () => {
      const rep = busiestRep(sim);
      const [a, b] = [...sim.state.followsByUser.get(rep)!.keys()];
      const template = async (ids: string[]) => post('externalcontact/add_msg_template', { chat_type: 'single', sender: rep, external_userid: ids, text: { content: '会员日' } });
      try {
        // The corp admin chose 1 per day in 群发助手 (API.md 5).
        await admin('POST', '/mass-quota', { quota: 'one_per_day' });
        // Two tasks created while a has received nothing today: both accepted, only the first confirmed one is delivered.
        const first = await template([a]);
        const second = await template([a]);
        expect(first.fail_list).toEqual([]);
        expect(second.fail_list).toEqual([]);
        sim.admin.confirmMsgTemplate(first.msgid);
        sim.admin.confirmMsgTemplate(second.msgid);
        const result = await post('externalcontact/get_groupmsg_send_result', { msgid: second.msgid, userid: rep });
        expect(result.send_list).toEqual([expect.objectContaining({ external_userid: a, status: 3 })]);
        // Now a is at the quota when a task is created: fail_list; b is not.
        const third = await template([a, b]);
        expect(third.fail_list).toEqual([a]);
        const tasks = await post('externalcontact/get_groupmsg_task', { msgid: third.msgid });
        expect(tasks.task_list).toEqual([{ userid: rep, status: 0 }]);
        // Under the default (as many per month as the month has days) a second send the same day is fine.
        await admin('POST', '/mass-quota', { quota: 'days_in_month' });
        expect((await template([a])).fail_list).toEqual([]);
      } finally {
        await admin('POST', '/mass-quota', { quota: 'days_in_month' });
      }
    });

    it('should reject a customer who is not the sender\'s into fail_list', async () => {
      const reps = sim.admin.reps();
      const other = [...sim.state.followsByUser.get(reps[1].userId)!.keys()].find((e) => !sim.state.getFollow(reps[0].userId, e))!;
      const t = await post('externalcontact/add_msg_template', { chat_type: 'single', sender: reps[0].userId, external_userid: [other], text: { content: 'x' } });
      expect(t.fail_list).toEqual([other]);
    });
  });

  describe('paging and faults', () => {
    it('should page batch/get_by_user with limits and refuse a tampered cursor', async () => {
      const rep = busiestRep(sim);
      const total = sim.state.followsByUser.get(rep)!.size;
      let cursor = '';
      let n = 0;
      do {
        const page = await post('externalcontact/batch/get_by_user', { userid_list: [rep], cursor, limit: 4 });
        expect(page.errcode).toBe(0);
        expect(page.external_contact_list.length).toBeLessThanOrEqual(4);
        n += page.external_contact_list.length;
        cursor = page.next_cursor;
      } while (cursor);
      expect(n).toBe(total);
      expect((await post('externalcontact/batch/get_by_user', { userid_list: [rep], limit: 101 })).errcode).toBe(40058);
      expect((await post('externalcontact/batch/get_by_user', { userid_list: [rep], cursor: 'bogus' })).errcode).toBe(40058);
    });

    it('should inject faults for a number of calls over the admin API', async () => {
      await admin('POST', '/faults', { endpoint: 'department/list', kind: 'errcode', errcode: -1, count: 1 });
      await admin('POST', '/faults', { endpoint: 'department/list', kind: 'http', status: 503, count: 1 });
      await admin('POST', '/faults', { endpoint: 'department/list', kind: 'drop', count: 1 });
      expect((await get('department/list')).errcode).toBe(-1);
      const res = await fetch(`${sim.url}/cgi-bin/department/list?access_token=${token}`);
      expect(res.status).toBe(503);
      await expect(get('department/list')).rejects.toThrow();
      expect((await get('department/list')).errcode).toBe(0);
      const calls = await admin('GET', '/calls');
      expect(calls.counts['department/list']).toBe(4);
    });

    it('should change the corp over the admin API', async () => {
      const rep = busiestRep(sim);
      const added = await admin('POST', '/contacts', { userId: rep, name: '王小明🌸', state: 'store_qr' });
      const list = await get('externalcontact/list', { userid: rep });
      expect(list.external_userid).toContain(added.externalUserId);
      await admin('POST', '/contacts/deleted-by-customer', { userId: rep, externalUserId: added.externalUserId });
      expect((await get('externalcontact/list', { userid: rep })).external_userid).not.toContain(added.externalUserId);
      const customer = await admin('GET', `/customers/${added.externalUserId}`);
      expect(customer.ended).toEqual([expect.objectContaining({ userId: rep, by: 'customer' })]);
      const tag = await admin('POST', '/tags', { groupName: '兴趣', name: '露营' });
      const tags = await post('externalcontact/get_corp_tag_list', { tag_id: [tag.tagId] });
      expect(tags.tag_group[0].tag).toEqual([expect.objectContaining({ id: tag.tagId, name: '露营' })]);
    });
  });

  describe('seed data', () => {
    it('should generate the same corp from the same seed and round-trip through a file', () => {
      const a = generateSeed({ seed: 9, reps: 20, customers: 500 });
      const b = generateSeed({ seed: 9, reps: 20, customers: 500 });
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      expect(JSON.stringify(generateSeed({ seed: 10, reps: 20, customers: 500 }))).not.toBe(JSON.stringify(a));
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fencun-seed-')), 'corp.json');
      saveSeedFile(file, a);
      expect(loadSeedFile(file)).toEqual(a);
      fs.rmSync(path.dirname(file), { recursive: true });
    });

    it('should serve a corp loaded from a seed file', async () => {
      const seed = loadSeedFile(path.join(__dirname, '../fixtures/simulator/small-corp.json'));
      await sim.stop();
      sim = await startTestSimulator({ seed });
      token = (await (await fetch(`${sim.url}/cgi-bin/gettoken?corpid=${TEST_WECOM.corpId}&corpsecret=${TEST_WECOM.secret}`)).json() as Json).access_token;
      const depts = await get('department/list');
      expect(depts.department.find((d: Json) => d.name === '销售1组').department_leader).toEqual(['luoyan']);
      const mine = seed.follows.filter((f) => f.userId === 'pengyong').map((f) => f.externalUserId);
      expect((await get('externalcontact/list', { userid: 'pengyong' })).external_userid.sort()).toEqual(mine.sort());
      expect(sim.admin.reps().find((r) => r.userId === 'pengyong')?.supervisors).toEqual(['luoyan']);
      expect(sim.admin.exportSeed()).toEqual(seed);
    });

    it('should model supervisors as department leaders and give customers Chinese names', () => {
      const s = generateSeed({ seed: 3, reps: 40, customers: 2_000 });
      const teams = s.departments.filter((d) => d.name.startsWith('销售'));
      expect(teams.length).toBe(5);
      for (const t of teams) {
        expect(t.leaders).toHaveLength(1);
        expect(s.users.filter((u) => u.departments.includes(t.id)).length).toBeGreaterThan(1);
      }
      expect(s.customers.filter((c) => /[\u4e00-\u9fff]/.test(c.name)).length).toBeGreaterThan(1_500);
      expect(s.customers.some((c) => /\p{Extended_Pictographic}/u.test(c.name))).toBe(true);
      expect(s.tagGroups.map((g) => g.groupName)).toEqual(expect.arrayContaining(['客户等级', '兴趣', '来源']));
      expect(s.follows.every((f) => f.createTime > 0 && f.addWay >= 0)).toBe(true);
    });

    it('should scale to 100k customers across 500 reps', () => {
      const s = generateSeed({ seed: 5, reps: 500, customers: 100_000 });
      expect(s.customers).toHaveLength(100_000);
      expect(new Set(s.customers.map((c) => c.externalUserId)).size).toBe(100_000);
      expect(new Set(s.follows.map((f) => f.userId)).size).toBe(500);
    });
  });

  describe('callback crypto', () => {
    it('should encrypt exactly as @wecom/crypto does and read what it encrypts', () => {
      const random = Buffer.from('1234567890123456');
      const xml = '<xml><Content><![CDATA[你好😊]]></Content></xml>';
      const mine = encryptMessage(TEST_WECOM.aesKey, xml, TEST_WECOM.corpId, random);
      expect(mine).toBe(encrypt(TEST_WECOM.aesKey, xml, TEST_WECOM.corpId, random));
      expect(decrypt(TEST_WECOM.aesKey, mine)).toMatchObject({ message: xml, id: TEST_WECOM.corpId });
      const theirs = encrypt(TEST_WECOM.aesKey, 'x'.repeat(44), TEST_WECOM.corpId);
      expect(decryptMessage(TEST_WECOM.aesKey, theirs)).toEqual({ message: 'x'.repeat(44), receiveId: TEST_WECOM.corpId });
      expect(signature('QDG6eK', '1409659813', '1372623149', mine)).toBe(getSignature('QDG6eK', '1409659813', '1372623149', mine));
    });
  });
});
