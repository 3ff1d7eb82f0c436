import type { TemplateCardEvent } from '../../src/callback/events';
import { handleCardTap } from '../../src/reminders/card-events';
import { taskIdFor } from '../../src/reminders/card';
import { deliverBundles } from '../../src/reminders/delivery';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { adminPost, ledger } from '../outbox/support';
import { at, MONDAY_0930, seedBook, startBookSimulator } from './world';

jest.setTimeout(120_000);

type Card = {
  main_title: { desc: string };
  horizontal_content_list: { keyname: string; value: string }[];
  button_list: { key: string }[];
  task_id: string;
};
interface SimCard { taskId: string; card: Card; taps: unknown[]; updates: { responseCode: string; card: Card }[] }

/**
 * A rep taps the buttons of a bundle card: the simulator delivers template_card_event to Fencun's
 * callback URL as WeCom would, the inbox processes it, and the outbox replaces the card.
 */
describe('tapping a reminder bundle card', () => {
  let sim: RunningSimulator;
  let app: TestApp;
  let ids: Record<string, number>;
  const clock = manualClock(MONDAY_0930);
  const taskId = taskIdFor('rep_a', MONDAY_0930.getTime());
  beforeAll(async () => {
    sim = await startBookSimulator(clock);
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url, PUBLIC_BASE_URL: 'https://scrm.example.com' } });
    sim.admin.setCallbackUrl(`${app.url}/wecom/callback`);
    ids = await seedBook(app.services.db);
    await deliverBundles(app.services, MONDAY_0930);
    await app.services.outboxWorker.drain();
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
  });

  const card = async (): Promise<SimCard> => {
    const all = (await (await fetch(`${sim.url}/__admin/template-cards`)).json()) as SimCard[];
    return all.find((c) => c.taskId === taskId)!;
  };
  const reminder = async (id: number) =>
    (await app.services.db.query<{ status: string; due_at: unknown; done_by: string | null; snoozes: unknown }>(
      'SELECT status, due_at, done_by, snoozes FROM reminders WHERE id = ?', [id]))[0];
  /** The member taps; WeCom's callback reaches Fencun, which processes it and sends the card update. */
  const tap = async (key: string, extra: Record<string, unknown> = {}) => {
    const r = (await adminPost(sim, '/members/rep_a/card-tap', { taskId, key, wait: true, ...extra })) as { responseCode: string };
    await app.services.processor.drain();
    await app.services.outboxWorker.drain();
    return r;
  };

  it('should mark the reminder done and replace the card with its new state (update_template_card)', async () => {
    expect((await card()).card.button_list).toHaveLength(6);
    const { responseCode } = await tap(`rem:${ids.a1}:done`);
    expect(await reminder(ids.a1)).toMatchObject({ status: 'done', done_by: 'rep_a' });
    const c = await card();
    expect(c.updates.map((u) => u.responseCode)).toEqual([responseCode]);
    expect(c.card.horizontal_content_list[0].value).toBe('✓ 已完成 · 定期回访');
    expect(c.card.main_title.desc).toBe('3月2日 09:30 · 待办 4 条，1 条已逾期');
    expect(c.card.button_list.map((b) => b.key)).not.toContain(`rem:${ids.a1}:done`);
    expect(c.card.button_list).toHaveLength(4);
    expect(await ledger(sim, 'card_update')).toHaveLength(1);
    // Still one bundle: a card update is not a new message to the rep.
    expect(await ledger(sim, 'app_message')).toHaveLength(2);
  });

  it('should snooze to the next work morning from the card, once, though WeCom delivers the tap twice', async () => {
    await tap(`rem:${ids.a2}:snooze`, { duplicates: 1 });
    expect(await reminder(ids.a2)).toMatchObject({ status: 'open', snoozes: 1 });
    expect(Number((await reminder(ids.a2)).due_at)).toBe(at('2026-03-03T09:00:00'));
    const c = await card();
    expect(c.updates).toHaveLength(2);
    expect(c.card.horizontal_content_list[1].value).toBe('已推迟到明天 09:00 · 售后回访：面霜');
    expect(c.card.main_title.desc).toBe('3月2日 09:30 · 待办 3 条');
    expect(c.card.button_list.map((b) => b.key)).toEqual([`rem:${ids.a3}:done`, `rem:${ids.a3}:snooze`]);
    expect(await ledger(sim, 'card_update')).toHaveLength(2);
  });

  it('should leave a button that is gone untappable, and ignore a tap Fencun did not send or on another rep\'s reminder', async () => {
    const gone = await fetch(`${sim.url}/__admin/members/rep_a/card-tap`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ taskId, key: `rem:${ids.a1}:done` }),
    });
    expect(gone.status).toBe(400);
    const base: TemplateCardEvent = {
      type: 'template_card_event', at: clock().getTime(), userId: 'rep_b', agentId: '1000002', eventKey: `rem:${ids.a3}:done`,
      taskId, cardType: 'button_interaction', responseCode: 'forged',
    };
    const ctx = { db: app.services.db, inboxId: 0, now: clock(), log: app.logs.log };
    // rep_b presents rep_a's task id: it is not rep_b's bundle.
    await handleCardTap(app.services, { ...ctx, event: base });
    // rep_b's own bundle does not hold rep_a's reminder.
    await handleCardTap(app.services, { ...ctx, event: { ...base, taskId: taskIdFor('rep_b', MONDAY_0930.getTime()) } });
    expect(await reminder(ids.a3)).toMatchObject({ status: 'open' });
    const intents = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM outbox_intents WHERE kind = 'card_update'");
    expect(Number(intents[0].n)).toBe(2);
  });

  it('should write the change and its card update once when the same tap is handled twice (an inbox retry)', async () => {
    const event: TemplateCardEvent = {
      type: 'template_card_event', at: clock().getTime(), userId: 'rep_a', agentId: '1000002', eventKey: `rem:${ids.a3}:snooze`,
      taskId, cardType: 'button_interaction', responseCode: 'code-handled-twice',
    };
    const ctx = { db: app.services.db, inboxId: 0, event, log: app.logs.log };
    await handleCardTap(app.services, { ...ctx, now: clock() });
    await handleCardTap(app.services, { ...ctx, now: new Date(clock().getTime() + 3_600_000) });
    expect(await reminder(ids.a3)).toMatchObject({ snoozes: 1 });
    const rows = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM outbox_intents WHERE kind = 'card_update'");
    expect(Number(rows[0].n)).toBe(3);
    // Its code was never issued by the simulator: WeCom refuses the update, the outbox records why.
    await app.services.outboxWorker.drain();
    const [failed] = await app.services.db.query<{ status: string; errcode: unknown }>(
      "SELECT status, errcode FROM outbox_intents WHERE kind = 'card_update' ORDER BY id DESC LIMIT 1");
    expect(failed).toMatchObject({ status: 'failed' });
    expect(Number(failed.errcode)).toBe(40058);
  });

  it('should not update a card twice when WeCom applied the update but the answer was lost', async () => {
    await app.services.db.exec("UPDATE reminders SET due_at = ?, status = 'open' WHERE id = ?", [at('2026-03-02T09:00:00'), ids.a3]);
    await fetch(`${sim.url}/__admin/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'message/update_template_card', kind: 'drop', afterAction: true }),
    });
    const before = (await ledger(sim, 'card_update')).length;
    await tap(`rem:${ids.a3}:done`);
    // The first answer never came: the intent waits in doubt, then is resolved by a resend.
    clock.advance(5 * 60_000);
    await app.services.outboxWorker.drain();
    expect((await ledger(sim, 'card_update')).length).toBe(before + 1);
    const [last] = await app.services.db.query<{ status: string; reason: string }>(
      "SELECT status, reason FROM outbox_intents WHERE kind = 'card_update' ORDER BY id DESC LIMIT 1");
    expect(last.status).toBe('skipped');
    expect(last.reason).toContain('single-use response_code');
    expect((await card()).card.horizontal_content_list[2].value).toBe('✓ 已完成 · 生日祝福');
  });
});
