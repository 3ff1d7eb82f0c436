import { bundleCard, bundleKey, parseButtonKey, slotOfTaskId, taskIdFor } from '../../src/reminders/card';
import { bundleSchedule, deliverBundles, reminderBundles, slotAtOrBefore } from '../../src/reminders/delivery';
import { compileWorkHours } from '../../src/reminders/rules';
import { RemindersConfigSchema } from '../../src/reminders/schema';
import { JobRunner } from '../../src/jobs/runner';
import { loadPolicyConfig } from '../../src/policy/config';
import { ZoneCalendar } from '../../src/policy/zone-calendar';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { ledger, type LedgerRow } from '../outbox/support';
import { at, MONDAY_0930, MONDAY_1400, seedBook, startBookSimulator, TUESDAY_0930 } from './world';

jest.setTimeout(120_000);

const policy = loadPolicyConfig();
const cal = new ZoneCalendar('Asia/Shanghai');
const work = compileWorkHours(policy.reminders.workHours);
const PUBLIC = 'https://scrm.example.com';

type Card = {
  main_title: { desc: string };
  horizontal_content_list: { keyname: string; value: string; url: string }[];
  jump_list: { title: string; url: string }[];
  button_list: { text: string; key: string }[];
  task_id: string;
};
const cardOf = (row: LedgerRow) => (row.content as { template_card: Card }).template_card;

describe('work slots (pure)', () => {
  it('should find the latest slot of the day inside work hours, none before 09:30, at night or on a Sunday', () => {
    const slots = policy.reminders.delivery.slots;
    expect(slotAtOrBefore(at('2026-03-02T09:29:00'), slots, work, cal)).toBeNull();
    expect(slotAtOrBefore(at('2026-03-02T09:30:00'), slots, work, cal)).toBe(at('2026-03-02T09:30:00'));
    expect(slotAtOrBefore(at('2026-03-02T13:59:00'), slots, work, cal)).toBe(at('2026-03-02T09:30:00'));
    expect(slotAtOrBefore(at('2026-03-02T17:59:00'), slots, work, cal)).toBe(at('2026-03-02T14:00:00'));
    expect(slotAtOrBefore(at('2026-03-02T18:00:00'), slots, work, cal)).toBeNull();
    expect(slotAtOrBefore(at('2026-03-01T10:00:00'), slots, work, cal)).toBeNull(); // Sunday
    // 00:30 Beijing on Tuesday is still Monday in UTC: Tuesday has no slot yet.
    expect(slotAtOrBefore(at('2026-03-03T00:30:00'), slots, work, cal)).toBeNull();
  });

  it('should fire at every slot on work days, and refuse a slot outside work hours or too many items', () => {
    expect(bundleSchedule(policy.reminders)).toBe('0,30 9,14 * * 1,2,3,4,5');
    expect(reminderBundles.schedule).toBe('0,30 9,14 * * 1,2,3,4,5');
    expect(reminderBundles.catchUp).toBe(true);
    const bad = RemindersConfigSchema.safeParse({ ...policy.reminders, delivery: { enabled: true, slots: ['08:00'], maxItems: 3 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]).toMatchObject({ path: ['delivery', 'slots', 0], message: 'must lie inside workHours (09:00–18:00)' });
    const many = RemindersConfigSchema.safeParse({ ...policy.reminders, delivery: { enabled: true, slots: ['09:30'], maxItems: 4 } });
    expect(many.error!.issues[0].message).toContain('at most 3');
  });

  it('should give each rep and slot its own task id that leads back to the slot, and to no one else', () => {
    const slot = at('2026-03-02T09:30:00');
    const id = taskIdFor('rep.a@corp', slot);
    expect(id).toMatch(/^[A-Za-z0-9_\-@]{1,128}$/);
    expect(slotOfTaskId(id, 'rep.a@corp')).toBe(slot);
    expect(slotOfTaskId(id, 'rep_b')).toBeNull();
    expect(bundleKey('rep_a', slot)).toBe('reminders:rep_a:2026-03-02T01:30:00.000Z');
    expect(parseButtonKey('rem:12:snooze')).toEqual({ reminderId: 12, action: 'snooze' });
    expect(parseButtonKey('rem:12:delete')).toBeNull();
  });

  it('should never put more than 6 buttons on a card, nor buttons on an item no longer open', () => {
    const item = (id: number, state: 'open' | 'done') => ({ id, externalUserId: `wm${id}`, customer: '王姐', title: '回访', overdue: false, state });
    const card = bundleCard({
      taskId: 't', heading: 'h', items: [item(1, 'open'), item(2, 'done'), item(3, 'open'), item(4, 'open')], more: 0,
      listUrl: 'l', customerUrl: (x) => x,
    }) as unknown as Card;
    expect(card.horizontal_content_list).toHaveLength(3);
    expect(card.button_list.map((b) => b.key)).toEqual(['rem:1:done', 'rem:1:snooze', 'rem:3:done', 'rem:3:snooze']);
    expect(card.horizontal_content_list[1].value).toBe('✓ 已完成 · 回访');
  });
});

describe('one bundle per rep per slot', () => {
  let database: TestDatabase;
  let sim: RunningSimulator;
  let one: TestApp;
  let two: TestApp;
  const clock = manualClock(MONDAY_0930);
  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startBookSimulator(clock);
    const env = { WECOM_API_BASE: sim.url, PUBLIC_BASE_URL: PUBLIC };
    one = await startTestApp({ database, clock, env });
    two = await startTestApp({ database, clock, env });
    await seedBook(one.services.db);
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    await sim?.stop();
    await database?.drop();
  });

  const bundlesTo = async (userId: string) => (await ledger(sim, 'app_message')).filter((r) => r.recipients.includes(userId));
  const drainBoth = () => Promise.all([one.services.outboxWorker.drain(), two.services.outboxWorker.drain()]);

  it('should send each rep one card at 09:30 with two instances racing the slot, running the job body at once, and a restart', async () => {
    const [a, b] = await Promise.all([one.running.jobs.runSlot(reminderBundles, MONDAY_0930), two.running.jobs.runSlot(reminderBundles, MONDAY_0930)]);
    expect([a, b].filter((x) => x !== null)).toEqual([expect.objectContaining({ reps: 2, enqueued: 2, reminders: 6, overdue: 2 })]);
    // What the slot claim does not cover: both instances run the body at once (a takeover while
    // the first owner wakes up, an operator's `jobs run` during the slot).
    const [x, y] = await Promise.all([deliverBundles(one.services, MONDAY_0930), deliverBundles(two.services, new Date(MONDAY_0930.getTime() + 60_000))]);
    expect([x.enqueued, y.enqueued, x.existing, y.existing]).toEqual([0, 0, 2, 2]);
    await drainBoth();
    // A restart at 10:15: the new instance catches up on the slot it missed and runs it by hand.
    clock.set(new Date('2026-03-02T10:15:00+08:00'));
    const three = await startTestApp({ database, clock, env: { WECOM_API_BASE: sim.url, PUBLIC_BASE_URL: PUBLIC } });
    try {
      const runner = new JobRunner(three.services, [reminderBundles]);
      await runner.tick();
      await runner.idle();
      expect(await runner.runNow(reminderBundles, clock())).toMatchObject({ slot: '2026-03-02T01:30:00.000Z', enqueued: 0, existing: 2 });
      await three.services.outboxWorker.drain();
    } finally {
      await three.stop();
    }
    await drainBoth();
    expect(await bundlesTo('rep_a')).toHaveLength(1);
    expect(await bundlesTo('rep_b')).toHaveLength(1);
    // rep_c's reminder falls due at 11:00; rep_gone left the corp.
    expect(await bundlesTo('rep_c')).toHaveLength(0);
    expect(await bundlesTo('rep_gone')).toHaveLength(0);
    expect(await ledger(sim, 'app_message')).toHaveLength(2);
  });

  it('should list at most 3 reminders, most overdue first, with "还有 M 条" and links to the sidebar', async () => {
    const [row] = await bundlesTo('rep_a');
    const card = cardOf(row);
    expect(card.task_id).toBe(taskIdFor('rep_a', MONDAY_0930.getTime()));
    expect(card.main_title.desc).toBe('3月2日 09:30 · 待办 5 条，2 条已逾期');
    // The salutation from the remark ("王姐"), never the remark's private note.
    expect(card.horizontal_content_list.map((h) => [h.keyname, h.value])).toEqual([
      ['1. 王姐', '逾期 · 定期回访'], ['2. 李雷', '逾期 · 售后回访：面霜'], ['3. 陈姐', '生日祝福'],
    ]);
    expect(JSON.stringify(card)).not.toContain('换工作');
    expect(card.horizontal_content_list[0].url).toBe(`${PUBLIC}/sidebar/?contact=wm_a1`);
    expect(card.jump_list).toEqual([{ type: 1, title: '还有 2 条，查看全部待办', url: `${PUBLIC}/sidebar/?view=reminders` }]);
    expect(card.button_list.map((b) => b.text)).toEqual(['1 完成', '1 明天再办', '2 完成', '2 明天再办', '3 完成', '3 明天再办']);
    const [b] = await bundlesTo('rep_b');
    expect(cardOf(b).jump_list[0].title).toBe('查看全部待办');
  });

  it('should carry what is still open into the 14:00 bundle and the next morning, overdue by then', async () => {
    clock.set(MONDAY_1400);
    await one.services.db.exec("UPDATE reminders SET status = 'done', done_at = ? WHERE rule_key = 't:a1'", [at('2026-03-02T11:00:00')]);
    expect(await deliverBundles(one.services, MONDAY_1400)).toMatchObject({ reps: 3, enqueued: 3 });
    await drainBoth();
    const afternoon = cardOf((await bundlesTo('rep_a'))[1]);
    expect(afternoon.horizontal_content_list.map((h) => h.keyname)).toEqual(['1. 李雷', '2. 陈姐', '3. 周敏']);
    expect(afternoon.jump_list[0].title).toBe('还有 1 条，查看全部待办');
    expect(cardOf((await bundlesTo('rep_c'))[0]).horizontal_content_list.map((h) => h.keyname)).toEqual(['1. 何琳']);
    clock.set(TUESDAY_0930);
    expect(await deliverBundles(one.services, TUESDAY_0930)).toMatchObject({ reps: 3, enqueued: 3, overdue: 6 });
    await drainBoth();
    const tuesday = cardOf((await bundlesTo('rep_a'))[2]);
    expect(tuesday.main_title.desc).toBe('3月3日 09:30 · 待办 4 条，3 条已逾期');
    expect(tuesday.horizontal_content_list.every((h) => h.value.startsWith('逾期 · '))).toBe(true);
    expect(await bundlesTo('rep_a')).toHaveLength(3);
  });
});

describe('a slot missed while no instance ran', () => {
  let sim: RunningSimulator;
  let app: TestApp;
  const clock = manualClock('2026-03-02T10:15:00+08:00');
  beforeAll(async () => {
    sim = await startBookSimulator(clock);
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url, PUBLIC_BASE_URL: PUBLIC } });
    await seedBook(app.services.db);
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
  });

  it('should still send the 09:30 bundle when an instance starts at 10:15, and let one caught up after work hours expire unsent', async () => {
    // Only this job: the instance's other catch-up jobs are not under test here.
    const runner = new JobRunner(app.services, [reminderBundles]);
    await runner.tick();
    await runner.idle();
    await app.services.outboxWorker.drain();
    expect((await ledger(sim, 'app_message')).map((r) => r.recipients[0]).sort()).toEqual(['rep_a', 'rep_b']);
    // Down from 13:50 to 19:00: the 14:00 bundle is made at start-up, but by now it would reach reps at home.
    clock.set('2026-03-02T19:00:00+08:00');
    const late = await startTestApp({ database: { url: app.database.url, drop: async () => undefined }, clock, env: { WECOM_API_BASE: sim.url, PUBLIC_BASE_URL: PUBLIC } });
    try {
      const runner = new JobRunner(late.services, [reminderBundles]);
      await runner.tick();
      await runner.idle();
      await late.services.outboxWorker.drain();
    } finally {
      await late.stop();
    }
    expect(await ledger(sim, 'app_message')).toHaveLength(2);
    const skipped = await app.services.db.query<{ status: string; reason: string }>(
      "SELECT status, reason FROM outbox_intents WHERE idem_key LIKE 'reminders:%:2026-03-02T06:00:00.000Z'");
    expect(skipped.length).toBe(3);
    expect(skipped.every((s) => s.status === 'skipped' && s.reason.startsWith('expired'))).toBe(true);
  });
});
