import net from 'node:net';
import {
  GroupMsg, WECOM_ENDPOINTS, WecomApiError, WecomClient, WecomOutcomeUnknownError, WecomRateLimitError, WecomUnavailableError,
} from '../../src/wecom/client';
import type { DeliveryKind, LedgerEntry } from '../../src/wecom-simulator/state';
import { busiestRep, makeClient, simulatorSuite, startTestSimulator, wecomConfig } from './support';

/**
 * Invariant: an endpoint whose repeat is unsafe (a send) reaches WeCom at most once per call.
 * Once the request may have arrived — an answer after the client's timeout, a reset after the
 * request was written, a 5xx, -1 — the caller gets WecomOutcomeUnknownError and the simulator's
 * ledger shows exactly one delivery. Safe reads are still retried; failures before the request
 * left, and WeCom's own refusals (42001, 45009), still behave as before.
 */
describe('unsafe WeCom calls are never repeated once they may have reached WeCom', () => {
  const suite = simulatorSuite();
  // Longer than any scheduling hiccup, far shorter than the held answer.
  const TIMEOUT_MS = 400;
  const HELD_MS = 60_000;

  /** The simulator's admin API over HTTP, as a chaos harness would drive it. */
  async function admin<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${suite.sim.url}/__admin${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await r.json()) as T;
    if (r.status !== 200) throw new Error(`admin ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  }
  const ledger = (kind: DeliveryKind) => admin<LedgerEntry[]>('GET', `/ledger?kind=${kind}`);
  const slowAnswer = (endpoint: string) => admin('POST', '/faults', { endpoint, kind: 'latency', afterAction: true, latencyMs: HELD_MS });
  const client = (): WecomClient => makeClient(suite.store.db, suite.sim, { timeoutMs: TIMEOUT_MS }).sut;

  describe('a WeCom that answers after the timeout', () => {
    const sends: { endpoint: string; kind: DeliveryKind; send(c: WecomClient): Promise<unknown> }[] = [
      {
        endpoint: 'message/send', kind: 'app_message',
        send: (c) => c.sendAppMessage({ toUser: [busiestRep(suite.sim)], msgtype: 'text', text: { content: '今天有 3 位客户待回访' } }),
      },
      {
        endpoint: 'webhook/send', kind: 'webhook',
        send: (c) => c.sendWebhook('robot-key-1', { msgtype: 'text', text: { content: '日报已生成' } }),
      },
      {
        endpoint: 'externalcontact/add_msg_template', kind: 'mass_task',
        send: (c) => {
          const rep = busiestRep(suite.sim);
          return c.addMsgTemplate({ chatType: 'single', sender: rep, externalUserIds: [...suite.sim.state.followsByUser.get(rep)!.keys()].slice(0, 2), text: '春季会员日' });
        },
      },
      {
        endpoint: 'externalcontact/send_welcome_msg', kind: 'welcome',
        send: (c) => c.sendWelcomeMsg({ welcomeCode: suite.sim.admin.addContact({ userId: busiestRep(suite.sim) }).welcomeCode!, text: '你好，我是你的专属顾问' }),
      },
    ];

    it.each(sends)('should send $endpoint exactly once and say the outcome is unknown', async ({ endpoint, kind, send }) => {
      const c = client();
      await c.getAccessToken();
      await slowAnswer(endpoint);

      const err = await send(c).catch((e: unknown) => e);
      // The simulator has done the work before it held the answer back.
      await suite.sim.admin.whenHeld(endpoint);

      expect(err).toBeInstanceOf(WecomOutcomeUnknownError);
      expect(err).toMatchObject({ endpoint, code: 'WECOM_OUTCOME_UNKNOWN' });
      expect((err as Error).message).toContain(`no answer within ${TIMEOUT_MS}ms`);
      expect(await ledger(kind)).toHaveLength(1);
      expect(suite.sim.admin.callCount(endpoint)).toBe(1);
    });

    it('should retry a safe read the same WeCom answered too late', async () => {
      const c = client();
      await slowAnswer('user/get');
      const user = await c.getUser(busiestRep(suite.sim));
      expect(user.userId).toBe(busiestRep(suite.sim));
      expect(suite.sim.admin.callCount('user/get')).toBe(2);
    });
  });

  describe('other signs that the request may have reached WeCom', () => {
    it.each([
      ['a reset after the request was written', { kind: 'drop' }, /connection failed/],
      ['a 502 from the gateway', { kind: 'http', status: 502 }, /HTTP 502/],
      ['-1 (system busy)', { kind: 'errcode', errcode: -1 }, /-1/],
    ])('should not repeat message/send after %s', async (_what, fault, reason) => {
      const c = client();
      await c.getAccessToken();
      await admin('POST', '/faults', { endpoint: 'message/send', afterAction: true, ...fault });
      const err = await c.sendAppMessage({ toUser: [busiestRep(suite.sim)], msgtype: 'text', text: { content: '复盘提醒' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomOutcomeUnknownError);
      expect((err as WecomOutcomeUnknownError).reason).toMatch(reason);
      expect(await ledger('app_message')).toHaveLength(1);
      expect(suite.sim.admin.callCount('message/send')).toBe(1);
    });
  });

  describe('failures known to happen before WeCom acted', () => {
    it('should retry a send whose connection was refused, and report it as unavailable', async () => {
      const sleeps: number[] = [];
      // WeCom's address refuses connections: nothing was sent, so retrying cannot send twice.
      const c = makeClient(suite.store.db, suite.sim, { config: wecomConfig(`http://127.0.0.1:${await closedPort()}`), sleep: async (ms) => void sleeps.push(ms) }).sut;
      const err = await c.sendWebhook('robot-key-1', { msgtype: 'text', text: { content: '日报已生成' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomUnavailableError);
      expect((err as Error).message).toMatch(/after 4 attempt\(s\): connection failed \(ECONNREFUSED\)/);
      expect(sleeps.length).toBeGreaterThanOrEqual(3);

      // A token that cannot be fetched is the same: the send itself never left.
      const noToken = await c.sendAppMessage({ toUser: ['anyone'], msgtype: 'text', text: { content: 'x' } }).catch((e: unknown) => e);
      expect(noToken).toBeInstanceOf(WecomUnavailableError);
      expect(noToken).toMatchObject({ endpoint: 'gettoken' });
    });

    it('should refresh a rejected token and send once (42001)', async () => {
      const c = client();
      await c.getAccessToken();
      suite.sim.admin.expireTokens();
      await c.sendAppMessage({ toUser: [busiestRep(suite.sim)], msgtype: 'text', text: { content: '续期后发送' } });
      expect(suite.sim.admin.calls().recent.filter((x) => x.endpoint === 'message/send').map((x) => x.errcode)).toEqual([42001, 0]);
      expect(await ledger('app_message')).toHaveLength(1);
    });

    it('should report 45009 as a rate limit, with nothing delivered', async () => {
      const c = client();
      suite.sim.admin.setRateLimit('webhook/send:robot', { limit: 1, windowMs: 60_000 });
      await c.sendWebhook('robot-key-1', { msgtype: 'text', text: { content: '第一条' } });
      const err = await c.sendWebhook('robot-key-1', { msgtype: 'text', text: { content: '第二条' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomRateLimitError);
      expect(err).toMatchObject({ errcode: 45009 });
      expect((await ledger('webhook')).map((d) => (d.content as { text: { content: string } }).text.content)).toEqual(['第一条']);
    });

    it('should declare every send unsafe and every read safe', () => {
      for (const e of ['message/send', 'appchat/send', 'webhook/send', 'externalcontact/add_msg_template', 'externalcontact/send_welcome_msg'] as const) {
        expect(WECOM_ENDPOINTS[e]).toBe('unsafe');
      }
      for (const e of ['externalcontact/get', 'externalcontact/get_groupmsg_list_v2', 'externalcontact/get_groupmsg_task', 'user/get', 'gettoken'] as const) {
        expect(WECOM_ENDPOINTS[e]).toBe('safe');
      }
    });
  });

  describe('resolving an unknown outcome (what the outbox will do)', () => {
    it('should not deliver a message/send again within the duplicate-check interval', async () => {
      const c = client();
      const rep = busiestRep(suite.sim);
      const message = { toUser: [rep], msgtype: 'text' as const, text: { content: '09:30 待办：3 位客户' }, enableDuplicateCheck: true, duplicateCheckInterval: 600 };
      await c.getAccessToken();
      await slowAnswer('message/send');
      expect(await c.sendAppMessage(message).catch((e: unknown) => e)).toBeInstanceOf(WecomOutcomeUnknownError);
      await suite.sim.admin.whenHeld('message/send');

      // The resend WeCom suppresses answers ok, with the first message's id.
      const resent = await c.sendAppMessage(message);
      const [first] = await ledger('app_message');
      expect(resent.msgId).toBe(first.ref);
      expect(await ledger('app_message')).toHaveLength(1);

      // Past the interval the same content is a new message; without the check it always is.
      suite.sim.admin.advanceTime(601_000);
      await c.sendAppMessage(message);
      await c.sendAppMessage({ ...message, enableDuplicateCheck: false });
      expect(await ledger('app_message')).toHaveLength(3);
    });

    it('should refuse a duplicate-check interval WeCom would not accept, without calling it', async () => {
      const c = client();
      const err = await c.sendAppMessage({ toUser: [busiestRep(suite.sim)], msgtype: 'text', text: { content: 'x' }, enableDuplicateCheck: true, duplicateCheckInterval: 5 * 3600 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toContain('4 hours');
      expect(suite.sim.admin.callCount('message/send')).toBe(0);
    });

    it('should find a mass task whose creation was unanswered by creator, time window and content', async () => {
      const c = client();
      const rep = busiestRep(suite.sim);
      const customers = [...suite.sim.state.followsByUser.get(rep)!.keys()].slice(0, 3);
      const before = suite.sim.admin.summary().now as string;
      await c.getAccessToken();
      await slowAnswer('externalcontact/add_msg_template');
      const err = await c.addMsgTemplate({ chatType: 'single', sender: rep, externalUserIds: customers, text: '周年庆 · 专属礼' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WecomOutcomeUnknownError);
      await suite.sim.admin.whenHeld('externalcontact/add_msg_template');
      // Another task by the same rep that must not be mistaken for it.
      await c.addMsgTemplate({ chatType: 'single', sender: rep, externalUserIds: customers, text: '别的活动' });

      const from = Date.parse(before) - 60_000;
      const found: GroupMsg[] = [];
      for await (const m of c.iterateGroupMsgList({ chatType: 'single', creator: rep, startTime: from, endTime: from + 10 * 60_000, limit: 1 })) {
        if (m.text === '周年庆 · 专属礼') found.push(m);
      }
      expect(found).toHaveLength(1);
      const tasks = [];
      for await (const t of c.iterateGroupMsgTasks(found[0].msgId)) tasks.push(t);
      expect(tasks).toEqual([expect.objectContaining({ userId: rep, status: 0 })]);

      // The rep confirms: each customer gets it once, visible in the ledger.
      await admin('POST', `/msg-templates/${found[0].msgId}/confirm`, { userId: rep });
      const sent = (await ledger('mass_sent')).filter((d) => d.ref === found[0].msgId);
      expect(sent).toEqual([expect.objectContaining({ sender: rep, recipients: customers })]);
      expect((await ledger('mass_task')).filter((d) => d.ref === found[0].msgId)).toHaveLength(1);

      // WeCom lists at most a month at a time; a lookup asking for more is refused.
      const tooWide = await c.getGroupMsgListV2({ chatType: 'single', startTime: from, endTime: from + 40 * 86_400_000 }).catch((e: unknown) => e);
      expect(tooWide).toBeInstanceOf(WecomApiError);
      expect(tooWide).toMatchObject({ errcode: 40058 });
    });
  });

  describe('the admin API', () => {
    it('should list pending faults and held answers, release them, and refuse a malformed fault', async () => {
      await slowAnswer('message/send');
      expect(await admin('GET', '/faults')).toMatchObject({ pending: [expect.objectContaining({ endpoint: 'message/send', afterAction: true })], held: 0 });
      const c = makeClient(suite.store.db, suite.sim, { timeoutMs: HELD_MS }).sut;
      const call = c.sendAppMessage({ toUser: [busiestRep(suite.sim)], msgtype: 'text', text: { content: '放行' } });
      await suite.sim.admin.whenHeld('message/send');
      expect(await admin('GET', '/faults')).toEqual({ pending: [], held: 1 });
      expect(await admin('POST', '/faults/release')).toEqual({ released: 1 });
      // Released in time, the answer arrives and the send succeeds: no unknown outcome.
      expect((await call).msgId).toBe((await ledger('app_message'))[0].ref);

      const bad = await fetch(`${suite.sim.url}/__admin/faults`, { method: 'POST', body: JSON.stringify({ endpoint: 'message/send', kind: 'latency', afterAction: 'yes' }) });
      expect(bad.status).toBe(400);
      const badKind = await fetch(`${suite.sim.url}/__admin/ledger?kind=parcel`);
      expect(badKind.status).toBe(400);
    });
  });
});

/** A loopback port nothing listens on: connections are refused before anything is sent. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
