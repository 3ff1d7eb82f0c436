import {
  WecomApiError, WecomConfigError, WecomNotMemberError, WecomRateLimitError, WecomResponseError, WecomUnavailableError,
} from '../../src/wecom/client';
import { TEST_WECOM } from '../helpers/wecom-callback';
import { busiestRep, makeClient, simulatorSuite, startTestSimulator } from './support';

describe('WecomClient against the simulator', () => {
  // Each test starts without a shared token, as if on a fresh database.
  const suite = simulatorSuite();

  describe('access token', () => {
    it('should call gettoken once for many concurrent callers', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const rep = busiestRep(suite.sim);
      const lists = await Promise.all(Array.from({ length: 12 }, () => sut.listExternalContacts(rep)));
      expect(lists.every((l) => l.length === suite.sim.state.followsByUser.get(rep)!.size)).toBe(true);
      expect(suite.sim.admin.callCount('gettoken')).toBe(1);
      expect(suite.sim.admin.callCount('externalcontact/list')).toBe(12);
    });

    it('should reuse the token another client stored in the database', async () => {
      const first = makeClient(suite.store.db, suite.sim);
      const token = await first.sut.getAccessToken();
      const second = makeClient(suite.store.db, suite.sim);
      expect(await second.sut.getAccessToken()).toBe(token);
      await second.sut.listDepartments();
      expect(suite.sim.admin.callCount('gettoken')).toBe(1);
      const rows = await suite.store.db.query('SELECT expires_at FROM wecom_tokens');
      expect(rows).toHaveLength(1);
    });

    it('should refresh the token 5 minutes before it expires, without a refresh storm', async () => {
      let offset = 0;
      const clock = () => new Date(Date.now() + offset);
      const { sut } = makeClient(suite.store.db, suite.sim, { clock });
      await sut.getAccessToken();
      offset = (7200 - 4 * 60) * 1000;
      suite.sim.admin.advanceTime(offset);
      // Inside the refresh window: WeCom hands back the same token with 4 minutes left.
      await sut.getAccessToken();
      expect(suite.sim.admin.callCount('gettoken')).toBe(2);
      await sut.listDepartments();
      await sut.getAccessToken();
      expect(suite.sim.admin.callCount('gettoken')).toBe(2);
      offset += 5 * 60 * 1000;
      suite.sim.admin.advanceTime(5 * 60 * 1000);
      // Expired now: a new token, good for two hours.
      expect((await sut.listDepartments()).length).toBeGreaterThan(1);
      expect(suite.sim.admin.callCount('gettoken')).toBe(3);
    });

    it('should drop an expired token and retry the call once (42001)', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const before = await sut.getAccessToken();
      suite.sim.admin.expireTokens();
      const depts = await sut.listDepartments();
      expect(depts.length).toBeGreaterThan(1);
      expect(await sut.getAccessToken()).not.toBe(before);
      expect(suite.sim.admin.callCount('gettoken')).toBe(2);
      expect(suite.sim.admin.calls().recent.filter((c) => c.endpoint === 'department/list').map((c) => c.errcode)).toEqual([42001, 0]);
    });

    it('should recover when WeCom forgets the token early (40014) and share the new one', async () => {
      const a = makeClient(suite.store.db, suite.sim);
      await a.sut.getAccessToken();
      suite.sim.admin.revokeTokens();
      await a.sut.listDepartments();
      const b = makeClient(suite.store.db, suite.sim);
      await b.sut.listDepartments();
      expect(suite.sim.admin.callCount('gettoken')).toBe(2);
      expect(suite.sim.admin.calls().recent.filter((c) => c.errcode === 40014)).toHaveLength(1);
    });

    it('should not log the secret or the access token', async () => {
      const { sut, logs } = makeClient(suite.store.db, suite.sim);
      const token = await sut.getAccessToken();
      suite.sim.admin.injectFault({ endpoint: 'department/list', kind: 'errcode', errcode: -1, count: 1 });
      await sut.listDepartments();
      expect(logs.lines().length).toBeGreaterThan(0);
      expect(logs.raw()).not.toContain(TEST_WECOM.secret);
      expect(logs.raw()).not.toContain(token);
    });
  });

  describe('errors by errcode', () => {
    it('should retry -1 with backoff and succeed', async () => {
      const sleeps: number[] = [];
      const { sut } = makeClient(suite.store.db, suite.sim, { sleep: async (ms) => void sleeps.push(ms) });
      suite.sim.admin.injectFault({ endpoint: 'user/get', kind: 'errcode', errcode: -1, count: 2 });
      const user = await sut.getUser(busiestRep(suite.sim));
      expect(user.userId).toBe(busiestRep(suite.sim));
      expect(suite.sim.admin.callCount('user/get')).toBe(3);
      expect(sleeps).toHaveLength(2);
      expect(sleeps[1]).toBeGreaterThanOrEqual(sleeps[0] / 2);
    });

    it('should give up on -1 after three retries with a typed error', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      suite.sim.admin.injectFault({ endpoint: 'user/get', kind: 'errcode', errcode: -1, count: 10 });
      const err = await sut.getUser(busiestRep(suite.sim)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomApiError);
      expect(err).toMatchObject({ errcode: -1, endpoint: 'user/get' });
      expect(suite.sim.admin.callCount('user/get')).toBe(4);
    });

    it('should surface 45009 as a rate-limit error and pause the endpoint', async () => {
      const { sut, metrics } = makeClient(suite.store.db, suite.sim, { rateLimitPauseMs: 30_000 });
      suite.sim.admin.setRateLimit('user/get', { limit: 2, windowMs: 60_000 });
      const rep = busiestRep(suite.sim);
      await sut.getUser(rep);
      await sut.getUser(rep);
      const err = await sut.getUser(rep).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomRateLimitError);
      expect(err).toMatchObject({ errcode: 45009, endpoint: 'user/get', retryAfterMs: 30_000 });
      // Paused: the next call is refused locally instead of hammering WeCom.
      const again = await sut.getUser(rep).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(WecomRateLimitError);
      expect((again as WecomRateLimitError).retryAfterMs).toBeGreaterThan(25_000);
      expect(suite.sim.admin.callCount('user/get')).toBe(3);
      expect(await metrics.registry.metrics()).toContain('endpoint="user/get",errcode="45009"');
    });

    it('should stop at a wrong secret (40001) and tell the operator once what to fix', async () => {
      const { sut, logs } = makeClient(suite.store.db, suite.sim, { secret: 'not-the-secret' });
      const err = await sut.listDepartments().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomConfigError);
      expect((err as WecomConfigError).message).toContain('check WECOM_AGENT_SECRET');
      await sut.listDepartments().catch(() => undefined);
      expect(suite.sim.admin.callCount('gettoken')).toBe(2);
      expect(suite.sim.admin.callCount('department/list')).toBe(0);
      const lines = logs.find('WECOM_AGENT_SECRET');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, errcode: 40001 });
      expect(logs.raw()).not.toContain('not-the-secret');
    });

    it('should not retry an IP allow-list refusal (60020)', async () => {
      const { sut, logs } = makeClient(suite.store.db, suite.sim);
      suite.sim.admin.injectFault({ endpoint: 'externalcontact/list', kind: 'errcode', errcode: 60020, count: 5 });
      const err = await sut.listExternalContacts(busiestRep(suite.sim)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomConfigError);
      expect(err).toMatchObject({ errcode: 60020 });
      expect(suite.sim.admin.callCount('externalcontact/list')).toBe(1);
      expect(logs.find('企业可信IP')).toHaveLength(1);
    });

    it('should retry 5xx and dropped connections, then succeed', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      await sut.getAccessToken();
      suite.sim.admin.injectFault({ endpoint: 'department/list', kind: 'http', status: 502, count: 1 });
      suite.sim.admin.injectFault({ endpoint: 'department/list', kind: 'drop', count: 1 });
      expect((await sut.listDepartments()).length).toBeGreaterThan(1);
      expect(suite.sim.admin.callCount('department/list')).toBe(3);
    });

    it('should retry a timeout and report the endpoint as unavailable when it persists', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim, { timeoutMs: 50 });
      await sut.getAccessToken();
      suite.sim.admin.injectFault({ endpoint: 'department/list', kind: 'latency', latencyMs: 200, count: 1 });
      expect((await sut.listDepartments()).length).toBeGreaterThan(1);
      suite.sim.admin.injectFault({ endpoint: 'department/list', kind: 'http', status: 503, count: 10 });
      const err = await sut.listDepartments().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomUnavailableError);
      expect((err as Error).message).toContain('department/list');
    });

    it('should reject a response of the wrong shape naming the endpoint', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      suite.sim.admin.injectFault({ endpoint: 'externalcontact/groupchat/get', kind: 'body', body: { errcode: 0, group_chat: { name: 'x' } }, count: 1 });
      const err = await sut.getGroupChat('wrAnything').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomResponseError);
      expect((err as Error).message).toContain('externalcontact/groupchat/get');
      expect((err as Error).message).toContain('group_chat.chat_id');
    });

    it('should refuse locally when its own limiter would have to wait too long', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim, { rateRules: { 'user/get': [{ limit: 10, windowMs: 60_000 }] }, maxRateWaitMs: 0 });
      const rep = busiestRep(suite.sim);
      await sut.getUser(rep);
      const err = await sut.getUser(rep).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomRateLimitError);
      expect(err).toMatchObject({ errcode: null });
      expect(suite.sim.admin.callCount('user/get')).toBe(1);
    });
  });

  describe('paging', () => {
    it('should read every relation of many reps with batch/get_by_user', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const reps = suite.sim.admin.reps().map((r) => r.userId);
      const seen: string[] = [];
      for await (const c of sut.iterateContactsByUser(reps, 7)) seen.push(`${c.followInfo.userId}|${c.externalContact.externalUserId}`);
      const expected = reps.flatMap((u) => [...suite.sim.state.followsByUser.get(u)!.keys()].map((e) => `${u}|${e}`));
      expect(seen.sort()).toEqual(expected.sort());
      expect(suite.sim.admin.callCount('externalcontact/batch/get_by_user')).toBeGreaterThan(expected.length / 7);
    });

    it('should list every group chat across pages', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const ids: string[] = [];
      for await (const c of sut.iterateGroupChats({ limit: 1 })) ids.push(c.chatId);
      expect(ids.sort()).toEqual([...suite.sim.state.groupChats.keys()].sort());
      expect(suite.sim.admin.callCount('externalcontact/groupchat/list')).toBe(ids.length);
      const chat = await sut.getGroupChat(ids[0]);
      expect(chat.memberList.length).toBe(suite.sim.state.groupChats.get(ids[0])!.members.length);
      expect(chat.createTime % 1000).toBe(0);
    });

    it('should merge follow_user across next_cursor pages', async () => {
      await suite.sim.stop();
      suite.sim = await startTestSimulator({ followUserPageSize: 1 });
      const { sut } = makeClient(suite.store.db, suite.sim);
      const [ext, follows] = [...suite.sim.state.follows.entries()].find(([, m]) => m.size >= 2)!;
      const detail = await sut.getExternalContact(ext);
      expect(detail.followUser.map((f) => f.userId).sort()).toEqual([...follows.keys()].sort());
      expect(detail.externalContact.name).toBe(suite.sim.state.customers.get(ext)!.name);
      expect(suite.sim.admin.callCount('externalcontact/get')).toBe(follows.size);
    });
  });

  describe('domain verbs', () => {
    it('should cache JS-SDK tickets like the token', async () => {
      const a = makeClient(suite.store.db, suite.sim);
      const jsapi = await a.sut.getJsapiTicket();
      const agent = await a.sut.getAgentConfigTicket();
      expect(jsapi).not.toBe(agent);
      const b = makeClient(suite.store.db, suite.sim);
      expect(await b.sut.getJsapiTicket()).toBe(jsapi);
      expect(await b.sut.getAgentConfigTicket()).toBe(agent);
      expect(suite.sim.admin.callCount('get_jsapi_ticket')).toBe(1);
      expect(suite.sim.admin.callCount('ticket/get')).toBe(1);
    });

    it('should exchange an OAuth code for a member and refuse outsiders', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const rep = busiestRep(suite.sim);
      expect(await sut.getUserInfoByCode(suite.sim.admin.issueOAuthCode({ userId: rep }))).toMatchObject({ userId: rep });
      const outsider = await sut.getUserInfoByCode(suite.sim.admin.issueOAuthCode({ openId: 'oOutsider' })).catch((e: unknown) => e);
      expect(outsider).toBeInstanceOf(WecomNotMemberError);
    });

    it('should send app messages, welcome messages and robot webhooks through WECOM_API_BASE', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const rep = busiestRep(suite.sim);
      const sent = await sut.sendAppMessage({ toUser: [rep, 'nobody'], msgtype: 'text', text: { content: '今天有 3 位客户待回访' } });
      expect(sent.invalidUser).toEqual(['nobody']);
      const added = suite.sim.admin.addContact({ userId: rep, name: '新朋友' });
      await sut.sendWelcomeMsg({ welcomeCode: added.welcomeCode!, text: '你好，我是你的专属顾问' });
      await sut.sendWebhook('robot-key-1', { msgtype: 'text', text: { content: '日报已生成' } });
      expect(suite.sim.admin.appMessages()).toHaveLength(1);
      expect(suite.sim.admin.welcomeMessages()).toHaveLength(1);
      expect(suite.sim.admin.webhookMessages()).toHaveLength(1);
    });

    it('should create a mass-message task and read its results after the rep confirms', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const rep = busiestRep(suite.sim);
      const customers = [...suite.sim.state.followsByUser.get(rep)!.keys()].slice(0, 3);
      const { msgId, failList } = await sut.addMsgTemplate({ chatType: 'single', sender: rep, externalUserIds: [...customers, 'wmUnknown'], text: '春季会员日' });
      expect(failList).toEqual(['wmUnknown']);
      const pending = [];
      for await (const t of sut.iterateGroupMsgTasks(msgId)) pending.push(t);
      expect(pending).toEqual([{ userId: rep, status: 0, sendTime: undefined }]);
      suite.sim.admin.confirmMsgTemplate(msgId, rep);
      const results = [];
      for await (const r of sut.iterateGroupMsgSendResults(msgId, rep)) results.push(r);
      expect(results.map((r) => r.status)).toEqual([1, 1, 1]);
      const list = [];
      for await (const m of sut.iterateGroupMsgList({ chatType: 'single', startTime: Date.now() - 60_000, endTime: Date.now() + 60_000 })) list.push(m);
      expect(list.map((m) => m.msgId)).toEqual([msgId]);
    });

    it('should treat a rep without customers as an empty list and read tags, members and KF messages', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const boss = [...suite.sim.state.users.values()][0].userId;
      expect(await sut.listExternalContacts(boss)).toEqual([]);
      const groups = await sut.getCorpTagList();
      expect(groups.map((g) => g.groupName)).toEqual(expect.arrayContaining(['客户等级', '兴趣', '来源']));
      const depts = await sut.listDepartments();
      const team = depts.find((d) => d.name.startsWith('销售'))!;
      const members = await sut.listDepartmentMembers(team.id);
      expect(members.map((m) => m.userId)).toEqual(expect.arrayContaining(team.departmentLeader));
      const kf = await sut.kfSyncMsg({ openKfId: suite.sim.state.kfAccounts[0].openKfId, limit: 5 });
      expect(kf.msgList).toHaveLength(5);
      expect(kf.hasMore).toBe(true);
    });

    it('should tag and remark a customer', async () => {
      const { sut } = makeClient(suite.store.db, suite.sim);
      const rep = busiestRep(suite.sim);
      const ext = [...suite.sim.state.followsByUser.get(rep)!.keys()][0];
      const tag = (await sut.getCorpTagList())[0].tags[0];
      await sut.markTag({ userId: rep, externalUserId: ext, addTag: [tag.id], removeTag: [] });
      await sut.remark({ userId: rep, externalUserId: ext, remark: '王女士-VIP' });
      const detail = await sut.getExternalContact(ext);
      const mine = detail.followUser.find((f) => f.userId === rep)!;
      expect(mine.remark).toBe('王女士-VIP');
      expect(mine.tags.map((t) => t.tagId)).toContain(tag.id);
    });
  });
});
