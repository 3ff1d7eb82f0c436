import { findTouchesOfCustomer } from '../../src/touches/repository';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { manualClock } from '../helpers/clock';
import { openTestDb, OpenDb, startTestSimulator } from '../wecom/support';
import { adminPost, ledger, outboxRig, textTo } from './support';

/**
 * The worker's outcomes against the simulator over HTTP: sent with WeCom's ids, a mass task
 * awaiting its member and touches recorded only when the member sent it, a welcome counted on
 * delivery, a robot post that may have arrived never resent, a rep's daily cap.
 */
jest.setTimeout(180_000);

describe('outbox worker outcomes', () => {
  let o: OpenDb;
  let sim: RunningSimulator;
  const clock = manualClock('2026-03-02T01:00:00Z');
  let rep: string;
  let customers: string[];

  beforeAll(async () => {
    o = await openTestDb();
    sim = await startTestSimulator({ clock });
    rep = sim.admin.reps()[0].userId;
    customers = [...sim.state.followsByUser.get(rep)!.keys()].slice(0, 3);
  });
  afterAll(async () => {
    await sim.stop();
    await o.close();
  });

  it('an app message is sent once with enable_duplicate_check and recorded with its msgid', async () => {
    const rig = outboxRig(o.db, sim, { clock });
    const { intent } = await rig.service.enqueueNow(textTo(rep, '今天 3 位客户待回访', 'app-1', clock().getTime()));
    expect(await rig.worker.drain()).toBe(1);
    const stored = (await rig.service.get(intent.id))!;
    expect(stored).toEqual(expect.objectContaining({ status: 'sent', doubtSince: null, attempts: 1 }));
    const rows = (await ledger(sim, 'app_message')).filter((r) => r.recipients.includes(rep));
    expect(rows.map((r) => r.ref)).toEqual([stored.wecomMsgId]);
    const req = sim.state.appMessages.at(-1)!.body as Record<string, unknown>;
    expect(req.enable_duplicate_check).toBe(1);
    expect(req.duplicate_check_interval).toBe(4 * 3600);
  });

  it('a mass task awaits its member; touches appear only when the member sent it, then it is sent', async () => {
    const rig = outboxRig(o.db, sim, { clock, config: { massTaskPoll: { everyMinutes: 10, forHours: 72 } } });
    const { intent } = await rig.service.enqueueNow({
      kind: 'mass_task', chatType: 'single', sender: rep, externalUserIds: customers, text: '春季上新，给您留了一份试用装',
      touch: { category: 'marketing', source: 'campaign' }, key: 'mass-1', dueAt: clock().getTime(), origin: 'test',
    });
    await rig.worker.drain();
    const created = (await rig.service.get(intent.id))!;
    expect(created.status).toBe('awaiting');
    expect(created.wecomMsgId).toMatch(/^msg/);
    expect(await findTouchesOfCustomer(o.db, customers[0])).toEqual([]);

    clock.advance(10 * 60_000);
    await rig.worker.drain();
    expect((await rig.service.get(intent.id))!.status).toBe('awaiting');
    expect(await findTouchesOfCustomer(o.db, customers[0])).toEqual([]);

    await adminPost(sim, `/msg-templates/${created.wecomMsgId}/confirm`, { userId: rep });
    clock.advance(10 * 60_000);
    await rig.worker.drain();
    const sent = (await rig.service.get(intent.id))!;
    expect(sent.status).toBe('sent');
    expect(JSON.parse(sent.wecomResult!).results.sent).toBe(customers.length);
    for (const c of customers) {
      expect((await findTouchesOfCustomer(o.db, c)).filter((t) => t.source === 'campaign')).toEqual([
        expect.objectContaining({ category: 'marketing', ref: `outbox:${intent.id}`, userId: rep }),
      ]);
    }
    expect((await ledger(sim, 'mass_task')).filter((r) => r.ref === created.wecomMsgId)).toHaveLength(1);
  });

  it('a welcome is sent with its code and counted as a touch on delivery', async () => {
    const rig = outboxRig(o.db, sim, { clock });
    const { externalUserId, welcomeCode } = sim.admin.addContact({ userId: rep, welcome: true });
    const { intent } = await rig.service.enqueueNow({
      kind: 'welcome', welcomeCode: welcomeCode!, userId: rep, externalUserId, text: '您好，很高兴认识您',
      key: `welcome:${welcomeCode}`, dueAt: clock().getTime(), expiresAt: clock().getTime() + 20_000, origin: 'test',
    });
    await rig.worker.drain();
    expect((await rig.service.get(intent.id))!.status).toBe('sent');
    expect((await ledger(sim, 'welcome')).filter((r) => r.ref === welcomeCode)).toHaveLength(1);
    expect(await findTouchesOfCustomer(o.db, externalUserId)).toEqual([expect.objectContaining({ category: 'welcome', ref: welcomeCode })]);
  });

  it('a robot post that WeCom never answered is parked unknown with a sentence, never resent', async () => {
    const rig = outboxRig(o.db, sim, { clock, config: { robots: { ops: 'robot-key-ops' } }, client: { timeoutMs: 300 } });
    const before = (await ledger(sim, 'webhook')).length;
    sim.admin.injectFault({ endpoint: 'webhook/send', kind: 'drop', count: 1, afterAction: true });
    const { intent } = await rig.service.enqueueNow({ kind: 'robot', robot: 'ops', message: { msgtype: 'text', text: { content: '今日关怀已发出' } }, key: 'robot-1', dueAt: clock().getTime(), origin: 'test' });
    await rig.worker.drain();
    clock.advance(3_600_000);
    await rig.worker.drain();
    const parked = (await rig.service.get(intent.id))!;
    expect(parked.status).toBe('unknown');
    expect(parked.reason).toMatch(/may have been delivered.*not sent again.*npx fencun outbox retry/);
    expect((await ledger(sim, 'webhook')).length - before).toBe(1);
  });

  it('a rep gets at most repDailyCap app messages a corp day; the rest wait for the next day with the reason', async () => {
    const other = sim.admin.reps()[1].userId;
    const rig = outboxRig(o.db, sim, { clock, config: { repDailyCap: 2 } });
    // 2026-03-02 10:00 in Asia/Shanghai
    clock.set('2026-03-02T02:00:00Z');
    const ids: number[] = [];
    for (let n = 0; n < 3; n++) ids.push((await rig.service.enqueueNow(textTo(other, `提醒 ${n}`, `cap-${n}`, clock().getTime() - 10 + n))).intent.id);
    await rig.worker.drain();
    const after = await Promise.all(ids.map((id) => rig.service.get(id)));
    expect(after.map((i) => i!.status)).toEqual(['sent', 'sent', 'pending']);
    expect(after[2]!.reason).toMatch(new RegExp(`deferred to 2026-03-03: ${other} already received 2 Fencun app messages on 2026-03-02 \\(repDailyCap 2\\)`));
    expect(after[2]!.nextAttemptAt).toBe(Date.parse('2026-03-02T16:00:00Z'));
    clock.set('2026-03-02T15:59:00Z');
    await rig.worker.drain();
    expect((await rig.service.get(ids[2]))!.status).toBe('pending');
    clock.set('2026-03-02T16:00:00Z');
    await rig.worker.drain();
    expect((await rig.service.get(ids[2]))!.status).toBe('sent');
  });
});
