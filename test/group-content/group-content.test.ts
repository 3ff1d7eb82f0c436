import { saveMembers } from '../../src/contacts/members';
import { groupContentService } from '../../src/group-content/service';
import { saveGroupChat } from '../../src/groups/repository';
import { DEFAULT_OUTBOX_CONFIG } from '../../src/outbox/policy';
import { createOutbox } from '../../src/outbox/service';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { adminPost, ledger } from '../outbox/support';
import { startTestSimulator } from '../wecom/support';

/**
 * Group content end to end: the real server over HTTP (API token), the real database, the
 * outbox worker sending to the WeCom simulator over HTTP, the simulated owners confirming
 * immediately, after a delay, or never. Invariants attacked:
 * - a post the group caps or quiet hours stop is moved within its limit or skipped, with the reason;
 * - one (post, occurrence, owner, send time) is one WeCom task, whatever crashes or a second
 *   instance do while the job runs;
 * - per-group results come from WeCom: sent, not sent by the owner, over WeCom's quota;
 * - a CSV with one bad row stores nothing.
 */
const TOKEN = 'group-content-test-token-0123456789';
const HOUR = 3_600_000;
// Monday 2026-03-02 09:00 Beijing.
const T0 = '2026-03-02T01:00:00Z';
const at = (iso: string) => new Date(iso);

describe('group content', () => {
  const clock = manualClock(T0);
  let sim: RunningSimulator;
  let app: TestApp;
  let reps: string[];
  /** Two groups per rep: "VIP一群 <rep>" and "普通群 <rep>". */
  const groupsOf = new Map<string, [string, string]>();

  beforeAll(async () => {
    sim = await startTestSimulator({ clock });
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url, FENCUN_API_TOKEN: TOKEN } });
    reps = sim.admin.reps().slice(0, 3).map((r) => r.userId);
    for (const rep of reps) {
      const customers = [...sim.state.followsByUser.get(rep)!.keys()].slice(0, 2);
      const a = sim.admin.createGroupChat({ owner: rep, name: `VIP一群 ${rep}`, externalUserIds: customers }).chatId;
      const b = sim.admin.createGroupChat({ owner: rep, name: `普通群 ${rep}`, externalUserIds: customers.slice(0, 1) }).chatId;
      groupsOf.set(rep, [a, b]);
    }
    // Fencun's copy of the simulated groups, as the contacts sync stores them.
    const now = clock().getTime();
    for (const [chatId, c] of sim.state.groupChats) {
      if (![...groupsOf.values()].flat().includes(chatId)) continue;
      await saveGroupChat(app.services.db, {
        chatId, name: c.name, ownerUserId: c.owner, createdAt: c.createTime * 1000, notice: null,
        members: c.members.map((m) => ({ memberId: m.userId, type: m.type, joinTime: m.joinTime * 1000 })),
      }, { at: now, now, cause: 'test' });
    }
  });
  afterAll(async () => {
    await app.stop();
    await sim.stop();
  });

  const api = (path: string, init: RequestInit = {}) => fetch(`${app.url}/api/group-content${path}`, {
    ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const create = async (post: Record<string, unknown>): Promise<number> => {
    const res = await api('/posts', { method: 'POST', body: JSON.stringify({ creator: 'ops', content: { text: `${post.name}` }, ...post }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  };
  const rig = () => createOutbox({
    db: app.services.db, wecom: app.services.wecom, clock, log: app.logs.log, metrics: app.services.metrics, timeZone: 'Asia/Shanghai',
    instanceId: 'group-content-test', config: { ...DEFAULT_OUTBOX_CONFIG, massTaskPoll: { everyMinutes: 1, forHours: 2 } }, worker: { heartbeatMs: 0, idlePollMs: 20 },
  });
  const runAt = async (iso: string) => {
    clock.set(iso);
    return groupContentService(app.services).run(clock());
  };
  const sendsOf = async (postId: number) => ((await (await api(`/posts/${postId}`)).json()) as {
    results: Record<string, number>; sends: { chatId: string; status: string; decision: string; plannedAt: number | null; reason: string | null; explanation: string }[];
  });
  const tasksWith = async (text: string) => (await ledger(sim, 'mass_task')).filter((r) => (r.content as { text?: string }).text === text);
  const confirm = (rep: string, body: Record<string, unknown>) => adminPost(sim, `/members/${rep}/mass-confirm`, body);

  it('should refuse bad input with a sentence, and a missing token', async () => {
    expect((await fetch(`${app.url}/api/group-content/posts`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await api('/posts', { method: 'POST', body: '{' })).status).toBe(400);
    const bad = await api('/posts', { method: 'POST', body: JSON.stringify({
      name: 'x', creator: 'ops', target: {}, schedule: { at: '2026-03-09T10:00:00+08:00' },
      content: { attachments: Array(10).fill({ msgtype: 'file', file: { media_id: 'm' } }) },
    }) });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { code: string; message: string };
    expect(body.code).toBe('GROUP_POST_INVALID');
    expect(body.message).toContain('target 没有指定发给哪些群，请在 owners、tags、namePattern、chatIds 中至少填一项');
    expect(body.message).toContain('content.attachments 最多 9 个附件（企业微信的上限）');
    const past = await api('/posts', { method: 'POST', body: JSON.stringify({ name: 'x', creator: 'ops', target: { owners: [reps[0]] }, content: { text: 'x' }, schedule: { at: '2026-03-01T10:00:00+08:00' } }) });
    expect(await past.json()).toMatchObject({ code: 'GROUP_POST_INVALID', message: '群内容没有保存：发送时间已经过去（最后一次是 2026-03-01 10:00），请改成以后的时间' });
    expect((await api('/posts/abc')).status).toBe(400);
    expect((await api('/posts/999999')).status).toBe(404);
    expect((await api('/posts?from=2026-03-05T00:00:00Z&to=2026-03-04T00:00:00Z')).status).toBe(400);
    expect((await api('/posts?now=yesterday')).status).toBe(400);
  });

  it('should import a CSV all or nothing: one bad row stores nothing and every bad row is named', async () => {
    const header = 'name,at,repeat,until,owners,tags,name_pattern,chat_ids,text,attachments,move_within_hours,creator';
    const good = [
      `五月周一,2026-05-04 10:00,MON,2026-05-25,${reps[0]},,,,五月周一早安,,24,ops`,
      `五月会员,2026-05-07 19:00,,,,,VIP*,,五月会员日,,,ops`,
    ];
    const count = async () => Number((await app.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM group_posts'))[0].n);
    const before = await count();
    const res = await api('/import?source=may.csv', { method: 'POST', body: [header, ...good, 'broken,2026-05-40 10:00,,,x,,,,hi,,,ops', 'no text,2026-05-08 10:00,,,x,,,,,,,ops'].join('\n'), headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { code: string; message: string; details: { errors: { line: number; message: string }[] } };
    expect(err.code).toBe('GROUP_POSTS_CSV_INVALID');
    expect([...new Set(err.details.errors.map((e) => e.line))]).toEqual([4, 5]);
    expect(await count()).toBe(before);
    const ok = await api('/import?source=may.csv', { method: 'POST', body: [header, ...good].join('\n'), headers: { 'content-type': 'text/csv' } });
    expect(ok.status).toBe(201);
    const imported = (await ok.json()) as { imported: number; posts: { id: number; source: string }[] };
    expect(imported.imported).toBe(2);
    expect(await count()).toBe(before + 2);
    expect(imported.posts[0].source).toBe('csv:may.csv');
    // May is not this test's business: cancelled, they never go.
    for (const p of imported.posts) expect((await api(`/posts/${p.id}/cancel`, { method: 'POST' })).status).toBe(200);
  });

  it('should honour the group caps and quiet hours: a second post the same day moved to the next morning, a night post skipped, with reasons', async () => {
    const [r0, r1] = reps;
    const [g0a, g0b] = groupsOf.get(r0)!;
    await confirm(r0, { mode: 'immediately' });
    const a = await create({ name: '周一上午', target: { owners: [r0] }, schedule: { at: '2026-03-02T10:00:00+08:00' } });
    const b = await create({ name: '周一下午', target: { chatIds: [g0a] }, schedule: { at: '2026-03-02T15:00:00+08:00' } });
    const c = await create({ name: '周一夜里', target: { namePattern: `普通群 ${r1}` }, schedule: { at: '2026-03-02T22:00:00+08:00' }, moveWithinHours: 0 });

    // The honest plan before anything is sent.
    const preview = (await (await api('/posts?from=2026-03-02T00:00:00%2B08:00&to=2026-03-03T00:00:00%2B08:00')).json()) as { sends: { postId: number; chatId: string; decision: string; status: string; reason: string | null; at: number | null; explanation: string }[] };
    const mine = preview.sends.filter((s) => [a, b, c].includes(s.postId));
    expect(mine.map((s) => [s.postId, s.decision, s.reason, s.status])).toEqual(expect.arrayContaining([
      [a, 'send', null, 'preview'], [a, 'send', null, 'preview'], [b, 'moved', 'DAILY_CAP', 'preview'], [c, 'skipped', 'QUIET_HOURS', 'preview'],
    ]));
    expect(mine).toHaveLength(4);
    expect(mine.find((s) => s.postId === b)!.explanation).toContain('从 2026-03-02 15:00 顺延到 2026-03-03 09:00 发送：这个群今天的发送次数已用完（DAILY_CAP）');

    expect(await runAt('2026-03-02T02:00:00Z')).toMatchObject({ decided: 2, dispatched: 1 });
    const outbox = rig();
    await outbox.worker.drain();
    await runAt('2026-03-02T02:05:00Z');
    expect((await sendsOf(a)).results).toEqual({ sent: 2 });
    const [taskA] = await tasksWith('周一上午');
    expect(taskA).toMatchObject({ sender: r0 });
    expect(new Set(taskA.recipients)).toEqual(new Set([g0a, g0b]));

    await runAt('2026-03-02T07:00:00Z');
    expect((await sendsOf(b)).sends).toEqual([expect.objectContaining({ chatId: g0a, decision: 'moved', status: 'planned', reason: 'DAILY_CAP', plannedAt: Date.parse('2026-03-03T01:00:00Z') })]);
    await runAt('2026-03-02T14:00:00Z');
    expect((await sendsOf(c)).sends).toEqual([expect.objectContaining({ decision: 'skipped', status: 'skipped', reason: 'QUIET_HOURS' })]);
    expect(await tasksWith('周一下午')).toHaveLength(0);

    await runAt('2026-03-03T01:00:00Z');
    await outbox.worker.drain();
    await runAt('2026-03-03T01:05:00Z');
    expect((await sendsOf(b)).results).toEqual({ sent: 1 });
    expect((await tasksWith('周一下午')).map((t) => t.recipients)).toEqual([[g0a]]);
    expect(await tasksWith('周一夜里')).toHaveLength(0);
  });

  it('should report per group: sent after a delayed confirmation, not sent by an owner who never confirms, over WeCom\'s quota', async () => {
    const [, r1, r2] = reps;
    const [g1a, g1b] = groupsOf.get(r1)!;
    await confirm(r1, { mode: 'after', delayMs: 30 * 60_000 });
    await confirm(r2, { mode: 'never' });
    await adminPost(sim, '/mass-quota', { quota: 'one_per_day' });
    try {
      // r1 sent a mass message of their own to g1a this morning: WeCom counts it, Fencun cannot know.
      clock.set('2026-03-04T00:00:00Z');
      const own = await app.services.wecom.addMsgTemplate({ chatType: 'group', sender: r1, chatIds: [g1a], text: '成员自己的群发' });
      sim.admin.confirmMsgTemplate(own.msgId, r1);

      const d = await create({ name: '周三活动', target: { owners: [r1, r2] }, schedule: { at: '2026-03-04T10:00:00+08:00' } });
      expect(await runAt('2026-03-04T02:00:00Z')).toMatchObject({ decided: 4, dispatched: 2 });
      const outbox = rig();
      await outbox.worker.drain();
      await runAt('2026-03-04T02:10:00Z');
      let st = await sendsOf(d);
      expect(st.results).toEqual({ over_quota: 1, dispatched: 3 });
      expect(st.sends.find((s) => s.chatId === g1a)!.status).toBe('over_quota');

      await runAt('2026-03-04T02:31:00Z');
      st = await sendsOf(d);
      expect(st.sends.find((s) => s.chatId === g1b)!.status).toBe('sent');
      expect(st.results).toEqual({ over_quota: 1, sent: 1, dispatched: 2 });

      // r2 never confirms: once the outbox stops polling, the groups are reported not sent by the owner.
      clock.set('2026-03-04T04:05:00Z');
      await outbox.worker.drain();
      await runAt('2026-03-04T04:06:00Z');
      st = await sendsOf(d);
      expect(st.results).toEqual({ over_quota: 1, sent: 1, not_sent: 2 });
      expect(st.sends.filter((s) => s.status === 'not_sent').map((s) => s.explanation)).toEqual([`群主 ${r2} 没有在企业微信里确认发送`, `群主 ${r2} 没有在企业微信里确认发送`]);
    } finally {
      await adminPost(sim, '/mass-quota', { quota: 'days_in_month' });
    }
  });

  it('should make one WeCom task per (post, occurrence, owner) when the job crashes midway and two instances then race it', async () => {
    const [r0] = reps;
    const second = await startTestApp({ clock, database: app.database, env: { WECOM_API_BASE: sim.url, FENCUN_API_TOKEN: TOKEN } });
    try {
      const text = '周四两群';
      const f = await create({ name: text, target: { owners: [r0] }, schedule: { series: { days: [4], time: '10:00', from: '2026-03-05', until: '2026-03-12' } } });
      clock.set('2026-03-05T02:00:00Z');
      let crashes = 0;
      const crashing = groupContentService(app.services, {
        afterEnqueue: () => {
          if (crashes++ === 0) throw new Error('process killed after writing the intent');
        },
      });
      await expect(crashing.run(clock())).rejects.toThrow('process killed');
      // Decided (its own transaction), not dispatched: the intent rolled back with the rows' planned→dispatched.
      expect((await sendsOf(f)).results).toEqual({ planned: 2 });
      const [x, y] = [groupContentService(app.services), groupContentService(second.services)];
      await Promise.all([x.run(clock()), y.run(clock()), x.decide(clock()), y.dispatch(clock())]);
      await Promise.all([x.run(clock()), y.run(clock())]);
      const intents = await app.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM outbox_intents WHERE idem_key LIKE ?', [`group-post:${f}:%`]);
      expect(Number(intents[0].n)).toBe(1);
      const outbox = rig();
      await Promise.all([outbox.worker.drain(), x.run(clock()), y.run(clock())]);
      await outbox.worker.drain();
      const tasks = await tasksWith(text);
      expect(tasks).toHaveLength(1);
      expect(new Set(tasks[0].recipients)).toEqual(new Set(groupsOf.get(r0)));
      expect((await sendsOf(f)).sends).toHaveLength(2);
      // The next Thursday is its own occurrence: one more task, not zero, not two.
      clock.set('2026-03-12T02:00:00Z');
      await Promise.all([x.run(clock()), y.run(clock())]);
      await outbox.worker.drain();
      expect(await tasksWith(text)).toHaveLength(2);
    } finally {
      await second.stop();
    }
  });

  it('should name every send by its group and owner, previewed or decided, with null where Fencun has no name', async () => {
    const [r0, , r2] = reps;
    const [g0a] = groupsOf.get(r0)!;
    // The reps as the contacts sync stores them; r2 has no name in Fencun's copy.
    const now = clock().getTime();
    const users = reps.map((u) => sim.state.users.get(u)!);
    await saveMembers(app.services.db, users.map((u) => ({ userId: u.userId, name: u.userId === r2 ? '' : u.name, departmentIds: u.departments, isLeader: false, directLeaders: [] })), new Map(), null, now);
    // WeCom groups may have no name.
    const unnamed = sim.admin.createGroupChat({ owner: r0, name: '', externalUserIds: [...sim.state.followsByUser.get(r0)!.keys()].slice(0, 1) }).chatId;
    const c = sim.state.groupChats.get(unnamed)!;
    await saveGroupChat(app.services.db, { chatId: unnamed, name: '', ownerUserId: r0, createdAt: c.createTime * 1000, notice: null,
      members: c.members.map((m) => ({ memberId: m.userId, type: m.type, joinTime: m.joinTime * 1000 })) }, { at: now, now, cause: 'test' });
    const [g2a] = groupsOf.get(r2)!;
    const notSynced = 'wrNotSyncedYet000000000000000000';
    const id = await create({ name: '周一点名', target: { chatIds: [g0a, unnamed, g2a, notSynced] }, schedule: { at: '2026-03-16T10:00:00+08:00' } });

    type Send = { postId: number; chatId: string; groupName: string | null; owner: string | null; ownerName: string | null; decision: string; status: string };
    const list = async () => ((await (await api('/posts?from=2026-03-16T00:00:00%2B08:00&to=2026-03-17T00:00:00%2B08:00')).json()) as { sends: Send[] })
      .sends.filter((s) => s.postId === id);
    const expected = [
      { chatId: g0a, groupName: `VIP一群 ${r0}`, owner: r0, ownerName: users[0].name },
      { chatId: unnamed, groupName: '', owner: r0, ownerName: users[0].name },
      { chatId: g2a, groupName: `VIP一群 ${r2}`, owner: r2, ownerName: null },
      { chatId: notSynced, groupName: null, owner: null, ownerName: null },
    ];
    const shape = (sends: Send[]) => sends.map(({ chatId, groupName, owner, ownerName }) => ({ chatId, groupName, owner, ownerName }));
    const preview = await list();
    expect(preview.every((s) => s.status === 'preview')).toBe(true);
    expect(shape(preview)).toEqual(expect.arrayContaining(expected));
    expect(preview).toHaveLength(4);

    // Decided and stored: the same names, read with the rows (the calendar and the post's detail).
    clock.set('2026-03-16T02:00:00Z');
    expect(await groupContentService(app.services).decide(clock())).toBe(4);
    const stored = await list();
    expect(stored.map((s) => s.status).sort()).toEqual(['planned', 'planned', 'planned', 'skipped']);
    expect(shape(stored)).toEqual(expect.arrayContaining(expected));
    const detail = (await sendsOf(id)).sends as unknown as Send[];
    expect(shape(detail)).toEqual(expect.arrayContaining(expected));
    expect(detail).toHaveLength(4);
    expect((await api(`/posts/${id}/cancel`, { method: 'POST' })).status).toBe(200);
  });
});
