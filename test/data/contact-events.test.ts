import { findCustomerDeletions } from '../../src/contacts/history';
import { customerDataWecom, registerCustomerData } from '../../src/contacts/register';
import { findContact, findFollow } from '../../src/contacts/repository';
import { findMessagesOfCustomer } from '../../src/messages/repository';
import { findTouchesOfCustomer } from '../../src/touches/repository';
import { getTimeline } from '../../src/timeline/timeline';
import { postCallback, signedPost, TEST_WECOM } from '../helpers/wecom-callback';
import { DataWorld, startDataWorld } from './world';

/** Contact events end to end: simulator change → signed callback → inbox → handler → state. */
describe('contact events', () => {
  let w: DataWorld;
  let rep: string;
  let rep2: string;

  beforeAll(async () => {
    w = await startDataWorld();
    [rep, rep2] = w.sim.admin.reps().map((r) => r.userId);
  });
  afterAll(async () => {
    await w?.stop();
  });
  beforeEach(() => {
    w.clock.skewMs = 0;
  });

  const db = () => w.app.services.db;
  const count = async (sql: string, params: unknown[] = []) => Number((await db().query<{ n: unknown }>(sql, params))[0].n);

  it('should store the customer and the relation from WeCom when a rep adds a customer', async () => {
    const tag = [...w.sim.state.tagGroups.values()][0].tags[0];
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, name: '王小丫', state: 'store-qr', remark: '王姐', tagIds: [tag.id], addWay: 1 });
    await w.deliver();

    const contact = await findContact(db(), externalUserId);
    expect(contact?.name).toBe('王小丫');
    const follow = await findFollow(db(), rep, externalUserId);
    expect(follow).toMatchObject({ status: 'active', remark: '王姐', state: 'store-qr', addWay: 1, endedAt: null, endedBy: null });
    expect(follow?.tags.map((t) => t.tagId)).toEqual([tag.id]);
    const timeline = await getTimeline(db(), externalUserId, { limit: 20 });
    expect(timeline.items.map((i) => (i.kind === 'change' ? i.change : i.kind))).toEqual(expect.arrayContaining(['follow_added', 'tag_added']));
  });

  it('should send the welcome for the channel once and count it as a welcome touch', async () => {
    const { externalUserId, welcomeCode } = w.sim.admin.addContact({ userId: rep, state: 'store-qr', duplicates: 2 });
    await w.deliver();

    const sent = w.sim.state.welcomeMessages.filter((m) => m.welcomeCode === welcomeCode);
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0].body)).toContain('门店顾问');
    const touches = await findTouchesOfCustomer(db(), externalUserId);
    expect(touches).toEqual([expect.objectContaining({ category: 'welcome', source: 'welcome', ref: welcomeCode, userId: rep })]);
    const messages = await findMessagesOfCustomer(db(), externalUserId);
    expect(messages).toEqual([expect.objectContaining({ channel: 'fencun', direction: 'out', category: 'welcome' })]);
    expect(await count('SELECT COUNT(*) AS n FROM follows WHERE external_user_id = ?', [externalUserId])).toBe(1);
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE kind = 'add_external_contact' AND payload LIKE ?`, [`%${externalUserId}%`])).toBe(1);
  });

  it('should not send a welcome when the event is handled after the window, and say so in the log', async () => {
    const { externalUserId, welcomeCode } = w.sim.admin.addContact({ userId: rep });
    await w.sim.admin.flushCallbacks();
    w.clock.skewMs = 19_000;
    await w.app.services.processor.drain();

    expect(w.sim.state.welcomeMessages.filter((m) => m.welcomeCode === welcomeCode)).toHaveLength(0);
    const [row] = await db().query<{ status: string }>('SELECT status FROM welcome_sends WHERE welcome_code = ?', [welcomeCode]);
    expect(row.status).toBe('late');
    expect(await findTouchesOfCustomer(db(), externalUserId)).toEqual([]);
    expect(w.app.logs.find('welcome not sent').length).toBeGreaterThan(0);
    // The relation is stored all the same.
    expect((await findFollow(db(), rep, externalUserId))?.status).toBe('active');
  });

  it('should record a half relation when the customer adds a rep with 免验证', async () => {
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, half: true, welcome: false });
    await w.deliver();
    expect((await findFollow(db(), rep, externalUserId))?.status).toBe('half');
  });

  it('should apply remark and tag edits from WeCom and keep them in the history', async () => {
    const [t1, t2] = [...w.sim.state.tagGroups.values()][1].tags;
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, tagIds: [t1.id], welcome: false });
    await w.deliver();
    w.sim.admin.editContact({ userId: rep, externalUserId, remark: '老客户', description: '喜欢护肤', addTagIds: [t2.id], removeTagIds: [t1.id] });
    await w.deliver();

    const follow = await findFollow(db(), rep, externalUserId);
    expect(follow).toMatchObject({ remark: '老客户', description: '喜欢护肤' });
    expect(follow?.tags.map((t) => t.tagId)).toEqual([t2.id]);
    const changes = await db().query<{ kind: string }>('SELECT kind FROM customer_changes WHERE external_user_id = ? ORDER BY id', [externalUserId]);
    expect(changes.map((c) => c.kind)).toEqual(['follow_added', 'tag_added', 'follow_edited', 'tag_added', 'tag_removed']);
  });

  it('should apply two real edits of one relation made in the same second, and a byte-identical retry once', async () => {
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, welcome: false });
    await w.deliver();
    // Both edits carry the same CreateTime second, so their decrypted payloads are identical.
    const second = Math.floor(w.app.services.clock().getTime() / 1000);
    const editXml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`
      + `<CreateTime>${second}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>`
      + `<ChangeType><![CDATA[edit_external_contact]]></ChangeType><UserID><![CDATA[${rep}]]></UserID>`
      + `<ExternalUserID><![CDATA[${externalUserId}]]></ExternalUserID></xml>`;
    const edit = (remark: string) => {
      w.sim.admin.setCallbackUrl(null); // the test posts the callbacks itself, at the moments that matter
      w.sim.admin.editContact({ userId: rep, externalUserId, remark });
      w.sim.admin.setCallbackUrl(`${w.app.url}/wecom/callback`);
    };
    // The first edit is delivered and handled (its re-read sees 第一次) before the second happens.
    edit('第一次');
    expect((await postCallback(w.app.url, signedPost(editXml))).status).toBe(200);
    await w.app.services.processor.drain();
    expect((await findFollow(db(), rep, externalUserId))?.remark).toBe('第一次');
    edit('第二次');
    const secondDelivery = signedPost(editXml);
    expect((await postCallback(w.app.url, secondDelivery)).status).toBe(200);
    expect((await postCallback(w.app.url, secondDelivery)).status).toBe(200); // WeCom's retry of it
    await w.app.services.processor.drain();

    expect((await findFollow(db(), rep, externalUserId))?.remark).toBe('第二次');
    expect(await count('SELECT COUNT(*) AS n FROM inbox_events WHERE payload = ?', [editXml])).toBe(2);
    expect(await count(`SELECT COUNT(*) AS n FROM customer_changes WHERE external_user_id = ? AND kind = 'follow_edited'`, [externalUserId])).toBe(2);
  });

  it('should record a customer deleting their rep as a customer-initiated loss, with its time', async () => {
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, welcome: false });
    await w.deliver();
    const before = Date.now();
    w.sim.admin.customerDeletesRep({ userId: rep, externalUserId });
    await w.deliver();

    const follow = await findFollow(db(), rep, externalUserId);
    expect(follow).toMatchObject({ status: 'ended', endedBy: 'customer_deleted' });
    expect(follow!.endedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    const losses = await findCustomerDeletions(db(), 0, Date.now() + 1000);
    expect(losses).toContainEqual({ externalUserId, userId: rep, at: follow!.endedAt });
  });

  it('should end the relation on a transfer without counting it as a loss, and on a rep deletion as rep_deleted', async () => {
    const a = w.sim.admin.addContact({ userId: rep, welcome: false }).externalUserId;
    const b = w.sim.admin.addContact({ userId: rep, welcome: false }).externalUserId;
    await w.deliver();
    w.sim.admin.repDeletesCustomer({ userId: rep, externalUserId: a, source: 'DELETE_BY_TRANSFER' });
    w.sim.admin.repDeletesCustomer({ userId: rep, externalUserId: b });
    await w.deliver();

    expect(await findFollow(db(), rep, a)).toMatchObject({ status: 'ended', endedBy: 'transfer' });
    expect(await findFollow(db(), rep, b)).toMatchObject({ status: 'ended', endedBy: 'rep_deleted' });
    const losses = (await findCustomerDeletions(db(), 0, Date.now() + 1000)).map((l) => l.externalUserId);
    expect(losses).not.toContain(a);
    expect(losses).not.toContain(b);
  });

  it('should keep the relation and note the failure when a transfer fails', async () => {
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, welcome: false });
    await w.deliver();
    w.sim.admin.transferFail({ userId: rep2, externalUserId, failReason: 'customer_refused' });
    await w.deliver();

    expect((await findFollow(db(), rep, externalUserId))?.status).toBe('active');
    const [change] = await db().query<{ detail: string; user_id: string }>(
      `SELECT detail, user_id FROM customer_changes WHERE external_user_id = ? AND kind = 'transfer_failed'`, [externalUserId]);
    expect(JSON.parse(change.detail)).toEqual({ failReason: 'customer_refused' });
    expect(change.user_id).toBe(rep2);
  });

  it('should not let an older add delivered after a newer deletion bring the relation back', async () => {
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, welcome: false });
    await w.deliver();
    w.sim.admin.customerDeletesRep({ userId: rep, externalUserId });
    await w.deliver();
    // The customer re-adds the rep, then deletes again 5 s later; WeCom delivers the two in reverse.
    w.sim.admin.holdCallbacks();
    w.sim.admin.advanceTime(2_000);
    w.sim.admin.addContact({ userId: rep, externalUserId, welcome: false });
    w.sim.admin.advanceTime(5_000);
    w.sim.admin.customerDeletesRep({ userId: rep, externalUserId });
    w.sim.admin.releaseCallbacks('reverse');
    await w.deliver();

    const follow = await findFollow(db(), rep, externalUserId);
    expect(follow).toMatchObject({ status: 'ended', endedBy: 'customer_deleted' });
    expect(w.app.logs.find('ignored, a newer event already decided this relation').length).toBeGreaterThan(0);
  });

  it('should record that the customer agreed to chat archiving', async () => {
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, welcome: false });
    await w.deliver();
    const xml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`
      + `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType>`
      + `<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[msg_audit_approved]]></ChangeType>`
      + `<UserID><![CDATA[${rep}]]></UserID><ExternalUserID><![CDATA[${externalUserId}]]></ExternalUserID><WelcomeCode><![CDATA[W1]]></WelcomeCode></xml>`;
    expect((await postCallback(w.app.url, signedPost(xml))).status).toBe(200);
    await w.app.services.processor.drain();

    expect((await findContact(db(), externalUserId))?.archiveAgreedAt).toBeGreaterThan(0);
    expect(await count(`SELECT COUNT(*) AS n FROM customer_changes WHERE external_user_id = ? AND kind = 'archive_agreed'`, [externalUserId])).toBe(1);
  });

  it('should register its handlers once, a second registration only swapping the WeCom client', () => {
    const s = w.app.services;
    const before = s.handlers.handlersFor('add_external_contact').length;
    const other = Object.create(w.wecom) as typeof w.wecom;
    registerCustomerData(s, other);
    expect(s.handlers.handlersFor('add_external_contact')).toHaveLength(before);
    expect(customerDataWecom(s)).toBe(other);
    registerCustomerData(s, w.wecom);
    expect(customerDataWecom(s)).toBe(w.wecom);
  });

  it('should leave no event failed or dead', async () => {
    expect(await count(`SELECT COUNT(*) AS n FROM inbox_events WHERE status <> 'done'`)).toBe(0);
  });
});
