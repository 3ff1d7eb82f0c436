import { findFollow } from '../../src/contacts/repository';
import { findGroup, findGroupsNotSeen, findGroupsOfCustomer } from '../../src/groups/repository';
import { findCorpTags } from '../../src/tags/repository';
import { postCallback, signedPost, TEST_WECOM } from '../helpers/wecom-callback';
import { DataWorld, startDataWorld } from './world';

describe('customer group and tag events', () => {
  let w: DataWorld;
  let rep: string;

  beforeAll(async () => {
    w = await startDataWorld();
    rep = w.sim.admin.reps()[0].userId;
  });
  afterAll(async () => {
    await w?.stop();
  });

  const db = () => w.app.services.db;
  const newCustomer = async () => {
    const { externalUserId } = w.sim.admin.addContact({ userId: rep, welcome: false });
    await w.deliver();
    return externalUserId;
  };
  const changesOf = async (externalUserId: string) =>
    (await db().query<{ kind: string; chat_id: string; detail: string }>(
      `SELECT kind, chat_id, detail FROM customer_changes WHERE external_user_id = ? AND kind LIKE 'group_%' ORDER BY id`, [externalUserId]))
      .map((r) => ({ kind: r.kind, chatId: r.chat_id, detail: JSON.parse(r.detail) as Record<string, unknown> }));

  it('should store a new group with its members and note each customer joining', async () => {
    const [a, b] = [await newCustomer(), await newCustomer()];
    const { chatId } = w.sim.admin.createGroupChat({ owner: rep, name: '护肤交流群', externalUserIds: [a, b] });
    await w.deliver();

    expect(await findGroup(db(), chatId)).toEqual({ chatId, name: '护肤交流群', ownerUserId: rep, status: 'active', memberCount: 3 });
    expect(await findGroupsOfCustomer(db(), a)).toEqual([expect.objectContaining({ chatId, leftAt: null })]);
    expect(await changesOf(b)).toEqual([{ kind: 'group_joined', chatId, detail: { groupName: '护肤交流群', joinScene: 1 } }]);
  });

  // Invariant: a reconcile dismisses only groups nothing has written since the run started, on
  // Fencun's clock on both sides. WeCom's CreateTime (the event's own time) is on another clock:
  // with Fencun ten minutes ahead, a group created by an event during the run has a CreateTime
  // before the run's start, and comparing the two would dismiss a group that exists.
  it('should not let a running reconcile dismiss a group an event created during it, whatever the clocks', async () => {
    w.clock.skewMs = 10 * 60_000;
    try {
      const runStartedAt = w.app.services.clock().getTime();
      const { chatId } = w.sim.admin.createGroupChat({ owner: rep, name: '运行中新建的群', externalUserIds: [await newCustomer()] });
      await w.deliver();
      expect(await findGroup(db(), chatId)).toMatchObject({ status: 'active' });
      expect(await findGroupsNotSeen(db(), 'run-during', runStartedAt)).not.toContain(chatId);
      // A group not written since the run started is still a candidate.
      expect(await findGroupsNotSeen(db(), 'run-later', runStartedAt + 3_600_000)).toContain(chatId);
    } finally {
      w.clock.skewMs = 0;
    }
  });

  it('should follow joins, leaves (with their scene), renames and the dismissal', async () => {
    const [a, b] = [await newCustomer(), await newCustomer()];
    const { chatId } = w.sim.admin.createGroupChat({ owner: rep, name: '新品群', externalUserIds: [a] });
    await w.deliver();
    w.sim.admin.joinGroupChat({ chatId, userIds: [b], joinScene: 3 });
    await w.deliver();
    w.sim.admin.leaveGroupChat({ chatId, userIds: [a], quitScene: 1 });
    await w.deliver();
    w.sim.admin.renameGroupChat({ chatId, name: '新品尝鲜群' });
    await w.deliver();

    expect(await findGroup(db(), chatId)).toMatchObject({ name: '新品尝鲜群', memberCount: 2 });
    expect(await changesOf(a)).toEqual([
      { kind: 'group_joined', chatId, detail: { groupName: '新品群', joinScene: 1 } },
      { kind: 'group_left', chatId, detail: { groupName: '新品群', quitScene: 1 } },
    ]);
    expect(await changesOf(b)).toEqual([{ kind: 'group_joined', chatId, detail: { groupName: '新品群', joinScene: 3 } }]);

    w.sim.admin.dismissGroupChat({ chatId });
    await w.deliver();
    expect(await findGroup(db(), chatId)).toMatchObject({ status: 'dismissed', memberCount: 0 });
    expect((await changesOf(b)).map((c) => c.kind)).toEqual(['group_joined', 'group_left']);
  });

  it('should keep a dismissed group dismissed when an older update arrives after the dismissal', async () => {
    const a = await newCustomer();
    const { chatId } = w.sim.admin.createGroupChat({ owner: rep, name: '临时群', externalUserIds: [a] });
    await w.deliver();
    w.sim.admin.holdCallbacks();
    w.sim.admin.renameGroupChat({ chatId, name: '改名了' });
    w.sim.admin.advanceTime(3_000);
    w.sim.admin.dismissGroupChat({ chatId });
    w.sim.admin.releaseCallbacks('reverse');
    await w.deliver();

    expect(await findGroup(db(), chatId)).toMatchObject({ status: 'dismissed', name: '临时群' });
  });

  it('should handle a duplicated group callback once', async () => {
    const a = await newCustomer();
    const { chatId } = w.sim.admin.createGroupChat({ owner: rep, name: '重复群', externalUserIds: [a], duplicates: 3 });
    await w.deliver();
    expect(await changesOf(a)).toHaveLength(1);
    expect((await findGroup(db(), chatId))?.memberCount).toBe(2);
  });

  it('should re-read the tag library on tag create, update and delete, and take deleted tags off customers', async () => {
    const { tagId } = w.sim.admin.createTag({ groupName: '会员等级', name: '金卡' });
    await w.deliver();
    expect(await findCorpTags(db())).toContainEqual(expect.objectContaining({ tagId, name: '金卡', groupName: '会员等级' }));

    const { externalUserId } = w.sim.admin.addContact({ userId: rep, tagIds: [tagId], welcome: false });
    await w.deliver();
    expect((await findFollow(db(), rep, externalUserId))?.tags).toEqual([{ tagId, type: 1, name: '金卡' }]);

    w.sim.admin.updateTag({ tagId, name: '黑金卡' });
    await w.deliver();
    expect((await findCorpTags(db())).find((t) => t.tagId === tagId)?.name).toBe('黑金卡');
    expect((await findFollow(db(), rep, externalUserId))?.tags[0].name).toBe('黑金卡');

    w.sim.admin.deleteTag({ tagId });
    await w.deliver();
    expect((await findCorpTags(db())).map((t) => t.tagId)).not.toContain(tagId);
    expect((await findFollow(db(), rep, externalUserId))?.tags).toEqual([]);
  });

  it('should re-read the tag library on a shuffle event (rule-group tags)', async () => {
    const group = [...w.sim.state.tagGroups.values()][0];
    group.tags.push({ id: 'etSHUFFLED', name: '规则组标签', createTime: Math.floor(Date.now() / 1000), order: 99 });
    const xml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`
      + `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType>`
      + `<Event><![CDATA[change_external_tag]]></Event><ChangeType><![CDATA[shuffle]]></ChangeType><StrategyId><![CDATA[7]]></StrategyId></xml>`;
    expect((await postCallback(w.app.url, signedPost(xml))).status).toBe(200);
    await w.app.services.processor.drain();
    expect((await findCorpTags(db())).map((t) => t.tagId)).toContain('etSHUFFLED');
  });

  it('should leave no event failed or dead', async () => {
    const [r] = await db().query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM inbox_events WHERE status <> 'done'`);
    expect(Number(r.n)).toBe(0);
  });
});
