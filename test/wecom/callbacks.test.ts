import { listenOnFreePort } from '../helpers/listen';
import http from 'node:http';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, TestApp } from '../helpers/app';
import { busiestRep, startTestSimulator } from './support';

/**
 * A pass-through proxy in front of Fencun that misbehaves for the first `count` requests:
 * 'slow' forwards at once but holds the answer back; 'fail' answers 503 without forwarding.
 */
async function startFlakyProxy(target: string, mode: 'slow' | 'fail', count: number, holdMs = 0) {
  let seen = 0;
  const server = http.createServer((req, res) => {
    const n = ++seen;
    if (mode === 'fail' && n <= count) {
      req.resume();
      res.writeHead(503).end('busy');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const upstream = await fetch(target + req.url, { method: req.method, headers: { 'Content-Type': 'text/xml' }, body: Buffer.concat(chunks) });
      const text = await upstream.text();
      if (mode === 'slow' && n <= count) await new Promise((r) => setTimeout(r, holdMs).unref());
      if (!res.destroyed) res.writeHead(upstream.status).end(text);
    });
  });
  const { url, stop } = await listenOnFreePort(server);
  return { url, requests: () => seen, close: stop };
}

describe('callbacks from the simulator into Fencun\'s real ingress', () => {
  let app: TestApp;
  let sim: RunningSimulator;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });
  beforeEach(async () => {
    sim = await startTestSimulator({ callbackUrl: `${app.url}/wecom/callback` });
  });
  afterEach(async () => {
    await sim.stop();
  });

  const duplicatesAcknowledged = async () =>
    (await app.services.metrics.callbacks.get()).values.find((v) => v.labels.outcome === 'duplicate')?.value ?? 0;
  const inboxFor = async (needle: string) => (await app.services.inbox.list({ limit: 200 })).filter((r) => r.payload.includes(needle));

  it('should pass WeCom\'s URL verification', async () => {
    expect(await sim.admin.verifyCallbackUrl()).toMatchObject({ ok: true, status: 200 });
  });

  it('should store a new customer event exactly once', async () => {
    const rep = busiestRep(sim);
    const { externalUserId, delivery } = sim.admin.addContact({ userId: rep, name: '陈小姐🌈', state: 'live_0315' });
    await sim.admin.flushCallbacks();
    expect(delivery).toMatchObject({ outcome: 'delivered', attempts: [expect.objectContaining({ status: 200 })] });
    const rows = await inboxFor(externalUserId);
    expect(rows).toHaveLength(1);
    expect(rows[0].kind).toBe('add_external_contact');
    expect(rows[0].payload).toContain('<State><![CDATA[live_0315]]></State>');
    expect(rows[0].payload).toContain('WelcomeCode');
  });

  it('should store duplicates delivered on purpose only once', async () => {
    const rep = busiestRep(sim);
    const ext = [...sim.state.followsByUser.get(rep)!.keys()][0];
    sim.admin.editContact({ userId: rep, externalUserId: ext, remark: '老客户', duplicates: 2 });
    await sim.admin.flushCallbacks();
    const sent = sim.admin.deliveries().filter((d) => d.label === 'edit_external_contact');
    expect(sent.map((d) => d.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect((await inboxFor(ext)).filter((r) => r.kind === 'edit_external_contact')).toHaveLength(1);
  });

  it('should resend after a slow answer without creating a second row', async () => {
    const proxy = await startFlakyProxy(app.url, 'slow', 1, 1_500);
    try {
      sim.admin.configureCallbacks({ url: `${proxy.url}/wecom/callback`, timeoutMs: 500 });
      const rep = busiestRep(sim);
      const ext = [...sim.state.followsByUser.get(rep)!.keys()][1];
      const duplicates = await duplicatesAcknowledged();
      const { delivery } = sim.admin.customerDeletesRep({ userId: rep, externalUserId: ext });
      await sim.admin.flushCallbacks();
      // The first copy was stored before its answer was held back; the resend is the duplicate.
      expect(await duplicatesAcknowledged()).toBe(duplicates + 1);
      expect(delivery.outcome).toBe('delivered');
      expect(delivery.attempts).toEqual([
        expect.objectContaining({ error: 'no answer within 500ms' }),
        expect.objectContaining({ status: 200 }),
      ]);
      expect(proxy.requests()).toBe(2);
      expect(await inboxFor(ext)).toEqual([expect.objectContaining({ kind: 'del_follow_user' })]);
    } finally {
      await proxy.close();
    }
  });

  it('should resend after a non-200 answer', async () => {
    const proxy = await startFlakyProxy(app.url, 'fail', 2);
    try {
      sim.admin.setCallbackUrl(`${proxy.url}/wecom/callback`);
      const { tagId, delivery } = sim.admin.createTag({ groupName: '兴趣', name: '露营' });
      await sim.admin.flushCallbacks();
      expect(delivery.attempts.map((a) => a.status)).toEqual([503, 503, 200]);
      expect(await inboxFor(tagId)).toEqual([expect.objectContaining({ kind: 'external_tag_create' })]);
    } finally {
      await proxy.close();
    }
  });

  it('should give up after three resends', async () => {
    const proxy = await startFlakyProxy(app.url, 'fail', 10);
    try {
      sim.admin.setCallbackUrl(`${proxy.url}/wecom/callback`);
      const { delivery } = sim.admin.enterAgent({ userId: busiestRep(sim) });
      await sim.admin.flushCallbacks();
      expect(delivery.outcome).toBe('failed');
      expect(proxy.requests()).toBe(4);
    } finally {
      await proxy.close();
    }
  });

  it('should deliver held events out of order', async () => {
    sim.admin.holdCallbacks();
    const rep = busiestRep(sim);
    const { externalUserId } = sim.admin.addContact({ userId: rep, name: '周先生' });
    sim.admin.repDeletesCustomer({ userId: rep, externalUserId });
    expect(await inboxFor(externalUserId)).toHaveLength(0);
    expect(sim.admin.releaseCallbacks('reverse')).toBe(2);
    await sim.admin.flushCallbacks();
    const rows = (await inboxFor(externalUserId)).sort((a, b) => a.id - b.id);
    expect(rows.map((r) => r.kind)).toEqual(['del_external_contact', 'add_external_contact']);
  });

  it('should send every kind of change in a shape Fencun accepts', async () => {
    const rep = busiestRep(sim);
    const ext = [...sim.state.followsByUser.get(rep)!.keys()][2];
    const before = new Set((await app.services.inbox.list({ limit: 500 })).map((r) => r.id));
    const { chatId } = sim.admin.createGroupChat({ owner: rep, name: '春季福利群', externalUserIds: [ext] });
    sim.admin.joinGroupChat({ chatId, userIds: [[...sim.state.followsByUser.get(rep)!.keys()][3]], joinScene: 3 });
    sim.admin.leaveGroupChat({ chatId, userIds: [ext] });
    sim.admin.renameGroupChat({ chatId, name: '夏季福利群' });
    sim.admin.dismissGroupChat({ chatId });
    const { tagId } = sim.admin.createTag({ groupName: '新分组', name: '新标签' });
    sim.admin.updateTag({ tagId, name: '改名' });
    sim.admin.deleteTag({ tagId });
    sim.admin.addContact({ userId: rep, name: '半程客户', half: true });
    sim.admin.transferFail({ userId: rep, externalUserId: ext, failReason: 'customer_limit_exceed' });
    sim.admin.appMessage({ userId: rep, content: '今天的提醒' });
    sim.admin.kfCustomerMessage({ externalUserId: ext, content: '请问还有货吗？' });
    await sim.admin.flushCallbacks();
    expect(sim.admin.deliveries().filter((d) => d.outcome !== 'delivered')).toEqual([]);
    const kinds = (await app.services.inbox.list({ limit: 500 })).filter((r) => !before.has(r.id)).map((r) => r.kind).sort();
    expect(kinds).toEqual([
      'add_half_external_contact', 'app_message', 'external_chat_create', 'external_chat_dismiss', 'external_chat_update',
      'external_chat_update', 'external_chat_update', 'external_tag_create', 'external_tag_delete', 'external_tag_update',
      'kf_msg_or_event', 'transfer_fail',
    ]);
  });
});
