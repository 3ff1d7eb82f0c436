import { readCursor } from '../../src/contacts/cursors';
import { findMember } from '../../src/contacts/members';
import type { CustomerDataWecom } from '../../src/contacts/wecom-port';
import { findCustomerFacts } from '../../src/messages/facts';
import { kfCursorName } from '../../src/messages/kf-sync';
import { WecomUnavailableError } from '../../src/wecom/errors';
import type { KfSyncRequest } from '../../src/wecom/client';
import { postCallback, signedPost, TEST_WECOM } from '../helpers/wecom-callback';
import { api, DataWorld, startDataWorld } from './world';

describe('app, KF and archive callbacks', () => {
  let w: DataWorld;
  let rep: string;
  const kfCalls: KfSyncRequest[] = [];
  let failNextKfCall = false;

  beforeAll(async () => {
    w = await startDataWorld({
      wrap: (client) => {
        const spy: CustomerDataWecom = Object.create(client) as CustomerDataWecom;
        spy.kfSyncMsg = async (r) => {
          kfCalls.push({ ...r });
          if (failNextKfCall) {
            failNextKfCall = false;
            throw new WecomUnavailableError('kf/sync_msg', 1, 'connection reset');
          }
          return client.kfSyncMsg(r);
        };
        return spy;
      },
    });
    rep = w.sim.admin.reps()[0].userId;
  });
  afterAll(async () => {
    await w?.stop();
  });

  const db = () => w.app.services.db;
  const kfRows = async () => (await db().query<{ msgid: string }>(`SELECT msgid FROM messages WHERE channel = 'kf' ORDER BY msgid`)).map((r) => r.msgid);

  it('should store a member\'s message to the app once, and note the visit', async () => {
    const { msgId } = w.sim.admin.appMessage({ userId: rep, content: '帮我查一下订单', duplicates: 1 });
    await w.deliver();
    const rows = await db().query<Record<string, unknown>>(`SELECT * FROM messages WHERE msgid = ?`, [`app:${msgId}`]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: 'app', direction: 'in', user_id: rep, text: '帮我查一下订单', msg_type: 'text' });
    expect((await findMember(db(), rep))?.lastAppVisitAt).toBeGreaterThan(0);
  });

  it('should note when a member opens the app (enter_agent)', async () => {
    const other = w.sim.admin.reps()[1].userId;
    w.sim.admin.enterAgent({ userId: other });
    await w.deliver();
    expect((await findMember(db(), other))?.lastAppVisitAt).toBeGreaterThan(0);
  });

  it('should pull KF messages with sync_msg and continue from the saved cursor on the next callback', async () => {
    const openKfId = w.sim.state.kfAccounts[0].openKfId;
    const customer = [...w.sim.state.customers.keys()][0];
    const seeded = w.sim.state.kfMessages.length;
    w.sim.admin.kfCustomerMessage({ externalUserId: customer, content: '请问发货了吗' });
    await w.deliver();

    expect(await kfRows()).toHaveLength(seeded + 1);
    expect(kfCalls[0].cursor).toBeUndefined();
    const saved = await readCursor<{ cursor: string }>(db(), kfCursorName(openKfId));
    expect(saved?.cursor).toBeTruthy();

    kfCalls.length = 0;
    const { msgId } = w.sim.admin.kfCustomerMessage({ externalUserId: customer, content: '还有一个问题' });
    await w.deliver();
    expect(kfCalls[0].cursor).toBe(saved!.cursor);
    expect(kfCalls[0].token).toMatch(/^ENC/);
    expect(await kfRows()).toHaveLength(seeded + 2);
    expect(await kfRows()).toContain(`kf:${msgId}`);
    const facts = (await findCustomerFacts(db(), [customer])).get(customer);
    expect(facts?.unansweredSince).not.toBeNull();
  });

  it('should retry a failed pull from the saved cursor without storing anything twice', async () => {
    const customer = [...w.sim.state.customers.keys()][1];
    const openKfId = w.sim.state.kfAccounts[0].openKfId;
    const before = await readCursor<{ cursor: string }>(db(), kfCursorName(openKfId));
    kfCalls.length = 0;
    failNextKfCall = true;
    w.sim.admin.kfCustomerMessage({ externalUserId: customer, content: '在吗' });
    await w.deliver();
    const [failed] = await db().query<{ status: string; attempts: unknown }>(`SELECT status, attempts FROM inbox_events WHERE kind = 'kf_msg_or_event' ORDER BY id DESC LIMIT 1`);
    expect(failed.status).toBe('pending');

    w.clock.skewMs = 60_000; // past the retry backoff
    await w.app.services.processor.drain();
    w.clock.skewMs = 0;
    expect(kfCalls.map((c) => c.cursor)).toEqual([before!.cursor, before!.cursor]);
    const rows = await kfRows();
    expect(new Set(rows).size).toBe(rows.length);
    expect(rows).toHaveLength(w.sim.state.kfMessages.length);
  });

  it('should record a msgaudit_notify as "archive data available"', async () => {
    const at = Math.floor(Date.now() / 1000);
    const xml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`
      + `<CreateTime>${at}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[msgaudit_notify]]></Event>`
      + `<AgentID>${TEST_WECOM.agentId}</AgentID></xml>`;
    expect((await postCallback(w.app.url, signedPost(xml))).status).toBe(200);
    await w.app.services.processor.drain();
    const status = await api(w.apiUrl, 'GET', '/api/archive/status');
    expect(status.status).toBe(200);
    expect(status.body.notifiedAt).toBe(at * 1000);
  });
});
