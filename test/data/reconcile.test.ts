import { readCursor } from '../../src/contacts/cursors';
import { findMember } from '../../src/contacts/members';
import { SYNC_CURSOR } from '../../src/contacts/reconcile';
import { findFollow } from '../../src/contacts/repository';
import { contactsSync } from '../../src/contacts/sync-job';
import type { CustomerDataWecom } from '../../src/contacts/wecom-port';
import { findGroup } from '../../src/groups/repository';
import { JobRunner } from '../../src/jobs/runner';
import { findCorpTags } from '../../src/tags/repository';
import { WecomUnavailableError } from '../../src/wecom/errors';
import { postCallback, signedPost, TEST_WECOM } from '../helpers/wecom-callback';
import { DataWorld, startDataWorld } from './world';

const runSync = (w: DataWorld) => new JobRunner(w.app.services, [contactsSync]).runNow(contactsSync, new Date());
const count = async (w: DataWorld, sql: string, params: unknown[] = []) =>
  Number((await w.app.services.db.query<{ n: unknown }>(sql, params))[0].n);

describe('contacts-sync reconcile', () => {
  let w: DataWorld;

  beforeAll(async () => {
    w = await startDataWorld({ seed: { seed: 5, reps: 5, customers: 60, groupChats: 3 } });
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('should copy members, supervisors, tags, customers, relations and groups from WeCom', async () => {
    const summary = await runSync(w);
    const sim = w.sim.state.counts();
    expect(summary).toMatchObject({ members: sim.users, created: sim.follows, updated: 0, ended: 0, groups: sim.groupChats, resumed: 0 });
    expect(await count(w, `SELECT COUNT(*) AS n FROM follows WHERE status = 'active'`)).toBe(sim.follows);
    expect(await count(w, 'SELECT COUNT(*) AS n FROM external_contacts')).toBe(w.sim.state.customers.size);
    expect(await findCorpTags(w.app.services.db)).toHaveLength([...w.sim.state.tagGroups.values()].reduce((n, g) => n + g.tags.length, 0));
    for (const r of w.sim.admin.reps()) {
      const m = await findMember(w.app.services.db, r.userId);
      expect(r.supervisors).toContain(m?.supervisorUserId);
    }
    const anyFollow = [...w.sim.state.followsByUser.values()][0].values().next().value!;
    const stored = await findFollow(w.app.services.db, anyFollow.userId, anyFollow.externalUserId);
    expect(stored).toMatchObject({ remark: anyFollow.remark || null, addWay: anyFollow.addWay, addedAt: anyFollow.createTime * 1000 });
    expect(stored?.tags.map((t) => t.tagId).sort()).toEqual([...anyFollow.tagIds].sort());
    expect(await readCursor(w.app.services.db, SYNC_CURSOR)).toBeNull();
  });

  it('should repair what lost callbacks missed, and change nothing when run again', async () => {
    const rep = w.sim.admin.reps()[0].userId;
    const [kept, gone] = w.sim.state.customersOf(rep);
    const seededChat = [...w.sim.state.groupChats.keys()][0];
    w.sim.admin.setCallbackUrl(null); // every change below is lost
    const added = w.sim.admin.addContact({ userId: rep, remark: '新加的', welcome: false }).externalUserId;
    w.sim.admin.customerDeletesRep({ userId: rep, externalUserId: gone.externalUserId });
    w.sim.admin.editContact({ userId: rep, externalUserId: kept.externalUserId, remark: '改过备注' });
    const { chatId } = w.sim.admin.createGroupChat({ owner: rep, name: '漏掉的群', externalUserIds: [added] });
    w.sim.admin.dismissGroupChat({ chatId: seededChat });
    const { tagId } = w.sim.admin.createTag({ groupName: '兴趣', name: '露营' });
    w.sim.admin.setCallbackUrl(`${w.app.url}/wecom/callback`);

    const summary = await runSync(w);
    expect(summary).toMatchObject({ created: 1, updated: 1, ended: 1, groupsDismissed: 1 });
    const db = w.app.services.db;
    expect(await findFollow(db, rep, added)).toMatchObject({ status: 'active', remark: '新加的' });
    expect(await findFollow(db, rep, gone.externalUserId)).toMatchObject({ status: 'ended', endedBy: 'sync' });
    expect((await findFollow(db, rep, kept.externalUserId))?.remark).toBe('改过备注');
    expect(await findGroup(db, chatId)).toMatchObject({ name: '漏掉的群', status: 'active', memberCount: 2 });
    expect((await findGroup(db, seededChat))?.status).toBe('dismissed');
    expect((await findCorpTags(db)).map((t) => t.tagId)).toContain(tagId);

    const twice = await runSync(w);
    expect(twice).toMatchObject({ created: 0, updated: 0, ended: 0, groupsDismissed: 0, newContacts: 0 });
    const changes = await count(w, 'SELECT COUNT(*) AS n FROM customer_changes');
    await runSync(w);
    expect(await count(w, 'SELECT COUNT(*) AS n FROM customer_changes')).toBe(changes);

    // The lost deletion's callback arrives at last: it says who ended the relation, and when.
    const endedAt = w.sim.state.endedFollows.find((f) => f.externalUserId === gone.externalUserId)!.endedAt;
    const xml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`
      + `<CreateTime>${Math.floor(endedAt / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>`
      + `<ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[${rep}]]></UserID><ExternalUserID><![CDATA[${gone.externalUserId}]]></ExternalUserID></xml>`;
    expect((await postCallback(w.app.url, signedPost(xml))).status).toBe(200);
    await w.app.services.processor.drain();
    expect(await findFollow(db, rep, gone.externalUserId)).toMatchObject({ endedBy: 'customer_deleted', endedAt: Math.floor(endedAt / 1000) * 1000 });
    expect(await count(w, `SELECT COUNT(*) AS n FROM customer_changes WHERE external_user_id = ? AND kind = 'follow_ended'`, [gone.externalUserId])).toBe(1);
  });
});

/**
 * Promise: the reconcile's truth and WeCom's events are ordered on WeCom's clock. A sync writes
 * a lower bound of WeCom's time at its read (the newest CreateTime already received), so an
 * event that happened after the read always applies, whatever Fencun's clock says, and an event
 * the sync's truth already contains cannot undo it.
 */
describe('contacts-sync and events on two clocks', () => {
  let w: DataWorld;
  beforeAll(async () => {
    w = await startDataWorld({ seed: { seed: 3, reps: 2, customers: 8, groupChats: 0 } });
    await runSync(w);
  });
  afterAll(async () => {
    await w?.stop();
  });
  const db = () => w.app.services.db;

  it('should apply a real re-add made after a sync when Fencun\'s clock runs ahead of WeCom\'s', async () => {
    const rep = w.sim.admin.reps()[0].userId;
    const [c] = w.sim.state.customersOf(rep);
    // The customer leaves, and the callback is lost: only the sync can notice.
    w.sim.admin.setCallbackUrl(null);
    w.sim.admin.customerDeletesRep({ userId: rep, externalUserId: c.externalUserId });
    w.sim.admin.setCallbackUrl(`${w.app.url}/wecom/callback`);
    w.clock.skewMs = 10 * 60_000; // Fencun's clock is ten minutes ahead of WeCom's
    try {
      expect(await runSync(w)).toMatchObject({ ended: 1 });
      expect(await findFollow(db(), rep, c.externalUserId)).toMatchObject({ status: 'ended', endedBy: 'sync' });
      // The customer comes back after the sync: WeCom's CreateTime is later than the sync's read
      // on WeCom's clock, though earlier than Fencun's clock at the sync.
      w.sim.admin.advanceTime(1_000);
      w.sim.admin.addContact({ userId: rep, externalUserId: c.externalUserId, welcome: false });
      await w.deliver();
      expect(await findFollow(db(), rep, c.externalUserId)).toMatchObject({ status: 'active', endedAt: null });
    } finally {
      w.clock.skewMs = 0;
    }
  });

  it('should let a sync restore a relation ended by an event it received before, when Fencun\'s clock runs behind', async () => {
    const rep = w.sim.admin.reps()[1].userId;
    const [c] = w.sim.state.customersOf(rep);
    w.sim.admin.customerDeletesRep({ userId: rep, externalUserId: c.externalUserId });
    await w.deliver();
    expect(await findFollow(db(), rep, c.externalUserId)).toMatchObject({ status: 'ended', endedBy: 'customer_deleted' });
    // The customer re-adds the rep; that callback is lost. Fencun's clock is behind WeCom's, so
    // its "now" is older than the deletion's CreateTime: only WeCom's clock can order the two.
    w.sim.admin.advanceTime(1_000);
    w.sim.admin.setCallbackUrl(null);
    w.sim.admin.addContact({ userId: rep, externalUserId: c.externalUserId, remark: '回来了', welcome: false });
    w.sim.admin.setCallbackUrl(`${w.app.url}/wecom/callback`);
    // Other traffic arrives before the sync: WeCom's clock is known to be past the deletion.
    w.sim.admin.advanceTime(1_000);
    const other = w.sim.state.customersOf(rep)[1];
    w.sim.admin.editContact({ userId: rep, externalUserId: other.externalUserId, remark: '别的客户' });
    await w.deliver();
    w.clock.skewMs = -10 * 60_000;
    try {
      expect(await runSync(w)).toMatchObject({ created: 1 });
      expect(await findFollow(db(), rep, c.externalUserId)).toMatchObject({ status: 'active', remark: '回来了' });
      // WeCom delivers the old deletion again (its own retry, re-encrypted): the sync's truth is newer.
      const endedAt = w.sim.state.endedFollows.filter((f) => f.externalUserId === c.externalUserId).at(-1)!.endedAt;
      const xml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`
        + `<CreateTime>${Math.floor(endedAt / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>`
        + `<ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[${rep}]]></UserID><ExternalUserID><![CDATA[${c.externalUserId}]]></ExternalUserID>`
        + `<Source><![CDATA[late]]></Source></xml>`; // a field the first copy lacked, so it is stored as a new event
      expect((await postCallback(w.app.url, signedPost(xml))).status).toBe(200);
      await w.app.services.processor.drain();
      expect(await findFollow(db(), rep, c.externalUserId)).toMatchObject({ status: 'active' });
    } finally {
      w.clock.skewMs = 0;
    }
  });
});

describe('contacts-sync after a crash', () => {
  let w: DataWorld;
  const cursors: (string | undefined)[] = [];
  let failOnCall = 0;

  beforeAll(async () => {
    w = await startDataWorld({
      seed: { seed: 9, reps: 3, customers: 230, groupChats: 1 },
      wrap: (client) => {
        const spy = Object.create(client) as CustomerDataWecom;
        spy.batchGetByUser = async (userIds, cursor, limit) => {
          cursors.push(cursor);
          if (cursors.length === failOnCall) throw new WecomUnavailableError('externalcontact/batch/get_by_user', 3, 'socket hang up');
          return client.batchGetByUser(userIds, cursor, limit);
        };
        return spy;
      },
    });
  });
  afterAll(async () => {
    await w?.stop();
  });

  it('should continue an interrupted run from its saved page and end up complete', async () => {
    failOnCall = 2;
    await expect(runSync(w)).rejects.toThrow(/unreachable/);
    const saved = await readCursor<{ phase: string; cursor: string }>(w.app.services.db, SYNC_CURSOR);
    expect(saved).toMatchObject({ phase: 'contacts' });
    expect(saved!.cursor).toBe(cursors[1]);
    const partial = await count(w, 'SELECT COUNT(*) AS n FROM follows');
    expect(partial).toBe(100);

    cursors.length = 0;
    failOnCall = 0;
    const summary = await runSync(w);
    expect(cursors[0]).toBe(saved!.cursor);
    expect(summary).toMatchObject({ resumed: 1, ended: 0, created: w.sim.state.counts().follows });
    expect(await count(w, `SELECT COUNT(*) AS n FROM follows WHERE status = 'active'`)).toBe(w.sim.state.counts().follows);
    expect(await readCursor(w.app.services.db, SYNC_CURSOR)).toBeNull();
  });
});
