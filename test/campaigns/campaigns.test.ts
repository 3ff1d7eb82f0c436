import { campaignService, CampaignService } from '../../src/campaigns/service';
import { DEFAULT_OUTBOX_CONFIG } from '../../src/outbox/policy';
import { createOutbox } from '../../src/outbox/service';
import { findTouchesOfCustomer } from '../../src/touches/repository';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { DAY, seedCustomers, SeedCustomer } from '../helpers/seed';
import { adminPost, ledger } from '../outbox/support';
import { startTestSimulator } from '../wecom/support';

/**
 * Campaigns end to end: the real server over HTTP (API token), the real database, the outbox
 * worker sending to the WeCom simulator over HTTP. Invariants attacked:
 * - one batch is one WeCom task, whatever crashes or races happen during approval;
 * - a customer whose state changes after approval (a complaint) is left out of their batch;
 * - each customer is counted once, under the first failing rule of PLAN_REASON_ORDER;
 * - per-customer results come from WeCom's own report; touches only for what was sent.
 */
const TOKEN = 'campaign-test-token-0123456789';
// Monday 2026-03-02 10:00 Beijing.
const T0 = '2026-03-02T02:00:00Z';

describe('campaigns', () => {
  const clock = manualClock(T0);
  let sim: RunningSimulator;
  let app: TestApp;
  let reps: string[];
  let customersOf: Map<string, string[]>;

  beforeAll(async () => {
    sim = await startTestSimulator({ clock });
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url, FENCUN_API_TOKEN: TOKEN } });
    reps = sim.admin.reps().slice(0, 3).map((r) => r.userId);
    customersOf = new Map(reps.map((r) => [r, [...sim.state.followsByUser.get(r)!.keys()].slice(0, 6)]));
    // Fencun's copy of the simulated corp: each rep follows their simulated customers.
    const now = clock().getTime();
    const seeds: SeedCustomer[] = reps.flatMap((rep) => customersOf.get(rep)!.map((id) => ({ id, rep, addedAt: now - 90 * DAY })));
    await seedCustomers(app.services.db, seeds, now);
  });
  afterAll(async () => {
    await app.stop();
    await sim.stop();
  });

  const api = (path: string, init: RequestInit = {}) => fetch(`${app.url}/api/campaigns${path}`, {
    ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const definition = (over: Record<string, unknown> = {}) => ({
    name: '春季回访', category: 'care', creator: 'ops',
    audience: { externalUserIds: reps.flatMap((r) => customersOf.get(r)!) },
    content: { text: '您好，春季回访：最近使用还顺利吗？', attachments: [{ msgtype: 'link', link: { title: '使用指南', url: 'https://example.com/guide' } }] },
    schedule: { start: new Date(clock().getTime()).toISOString(), end: new Date(clock().getTime() + 7 * DAY).toISOString(), perSenderDailyRate: 1000 },
    ...over,
  });
  const create = async (over: Record<string, unknown> = {}): Promise<number> => {
    const res = await api('', { method: 'POST', body: JSON.stringify(definition(over)) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  };
  const rig = () => createOutbox({
    db: app.services.db, wecom: app.services.wecom, clock, log: app.logs.log, metrics: app.services.metrics, timeZone: 'Asia/Shanghai',
    instanceId: 'campaign-test', config: { ...DEFAULT_OUTBOX_CONFIG, massTaskPoll: { everyMinutes: 1, forHours: 72 } }, worker: { heartbeatMs: 0, idlePollMs: 20 },
  });
  const tasksOf = async (campaignId: number) => {
    const rows = await app.services.db.query<{ outbox_id: unknown }>('SELECT outbox_id FROM campaign_batches WHERE campaign_id = ? AND outbox_id IS NOT NULL', [campaignId]);
    const ids = rows.map((r) => Number(r.outbox_id));
    const intents = await app.services.db.query<{ wecom_msg_id: string | null }>(
      `SELECT wecom_msgid AS wecom_msg_id FROM outbox_intents WHERE idem_key LIKE ?`, [`campaign:${campaignId}:%`]);
    return { batches: ids, intents: intents.length, msgIds: intents.map((i) => i.wecom_msg_id).filter((m): m is string => !!m) };
  };

  it('should refuse bad input with a sentence, and a missing token', async () => {
    const noToken = await fetch(`${app.url}/api/campaigns`, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    const bad = await api('', { method: 'POST', body: JSON.stringify(definition({ category: 'spam', content: { attachments: Array(10).fill({ msgtype: 'file', file: { media_id: 'm' } }) } })) });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { code: string; message: string };
    expect(body.code).toBe('CAMPAIGN_INVALID');
    // zh-CN for the operators (the console shows it as is); integrations key on the code.
    expect(body.message).toMatch(/^活动没有创建，请改正后再提交：/);
    expect(body.message).toContain('category 只能是 marketing 或 care（收到的是 "spam"）');
    expect(body.message).toContain('content.attachments 最多 9 个附件（企业微信的上限）');
    const say = async (res: Response) => ({ status: res.status, ...((await res.json()) as { code: string; message: string }) });
    expect(await say(await api('/abc/plan', { method: 'POST' }))).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: '活动编号要写成正整数（收到的是 "abc"）' });
    expect(await say(await api('/999999/plan', { method: 'POST' }))).toMatchObject({ status: 404, code: 'CAMPAIGN_NOT_FOUND', message: '没有编号为 999999 的活动，请检查活动编号' });
    expect(await say(await api('/1/plan?now=yesterday', { method: 'POST' }))).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: expect.stringContaining('now 不是有效时间（收到的是 "yesterday"）') });
    expect(await say(await api('', { method: 'POST', body: '{"name":' }))).toMatchObject({ status: 400, code: 'BAD_JSON', message: expect.stringContaining('不是有效的 JSON') });
  });

  it('should count a customer with two reasons once, under the first rule in the documented order', async () => {
    const [a, b] = customersOf.get(reps[0])!;
    const now = clock();
    // a: an open complaint AND a care touch an hour ago (gap). b: a touch an hour ago only.
    await app.services.judgement.complaints.fileByRep({ externalUserId: a, userId: reps[0], text: '投诉：发货太慢', sourceRef: 'two-reasons' }, new Date(now.getTime() - 2 * 3_600_000));
    await app.services.db.exec("INSERT INTO touches (external_user_id, user_id, category, at, source, ref, created_at) VALUES (?, ?, 'care', ?, 'sidebar', 'x1', ?), (?, ?, 'care', ?, 'sidebar', 'x2', ?)",
      [a, reps[0], now.getTime() - 3_600_000, now.getTime(), b, reps[0], now.getTime() - 3_600_000, now.getTime()]);
    const id = await create({ audience: { externalUserIds: [a, b] }, schedule: { start: now.toISOString(), end: new Date(now.getTime() + 3_600_000 * 2).toISOString(), perSenderDailyRate: 10 } });
    const res = await api(`/${id}/plan`, { method: 'POST' });
    expect(res.status).toBe(200);
    const plan = (await res.json()) as { audience: number; admitted: number; excluded: Record<string, number>; deferred: Record<string, number>; samples: Record<string, { externalUserId: string; explanation: string }[]> };
    expect(plan.audience).toBe(2);
    // a is blocked by COMPLAINT_OPEN and MIN_GAP (and caps): counted once, under COMPLAINT_OPEN (it comes first).
    expect(plan.excluded.COMPLAINT_OPEN).toBe(1);
    expect(plan.samples.COMPLAINT_OPEN.map((s) => s.externalUserId)).toEqual([a]);
    expect(plan.samples.COMPLAINT_OPEN[0].explanation).toContain('MIN_GAP');
    // b is blocked by DAILY_CAP, WEEKLY_CAP and MIN_GAP (the fallback tier allows one care touch a
    // week): counted once, under WEEKLY_CAP, which the documented order puts before DAILY_CAP.
    expect(plan.excluded).toEqual({ COMPLAINT_OPEN: 1, WEEKLY_CAP: 1 });
    expect(plan.samples.WEEKLY_CAP[0].explanation).toContain('DAILY_CAP');
    const total = plan.admitted + Object.values(plan.excluded).reduce((x, y) => x + y, 0) + Object.values(plan.deferred).reduce((x, y) => x + y, 0);
    expect(total).toBe(plan.audience);
  });

  it('should make one WeCom task per batch when approval crashes midway and is retried by two instances at once', async () => {
    const id = await create({ audience: { externalUserIds: reps.flatMap((r) => customersOf.get(r)!.slice(2)) } });
    let crashes = 0;
    const crashing = campaignService(app.services, {
      afterEnqueue: (_c, no) => {
        if (no === 2 && crashes++ === 0) throw new Error('process killed after writing batch 2\'s intent');
      },
    });
    await expect(crashing.approve(id, clock())).rejects.toThrow('process killed');
    // The crashed batch's intent rolled back with it; batch 1 is dispatched once.
    let t = await tasksOf(id);
    expect(t.intents).toBe(1);
    // Two instances retry the approval at the same moment.
    const [x, y] = [campaignService(app.services), campaignService(app.services)];
    await Promise.all([x.approve(id, clock()), y.approve(id, clock())]);
    t = await tasksOf(id);
    expect(t.intents).toBe(3);
    expect(new Set(t.batches).size).toBe(3);
    const outbox = rig();
    await outbox.worker.drain();
    await Promise.all([x.approve(id, clock()), outbox.worker.drain()]);
    t = await tasksOf(id);
    expect(t.msgIds).toHaveLength(3);
    const tasks = (await ledger(sim, 'mass_task')).filter((r) => t.msgIds.includes(r.ref));
    expect(tasks).toHaveLength(3);
    expect(new Set(tasks.map((r) => r.sender))).toEqual(new Set(reps));
  });

  it('should leave out a customer who complained after approval, when their batch comes', async () => {
    const [c1, c2] = customersOf.get(reps[1])!.slice(0, 2).sort();
    const start = clock();
    // One per member per day: c1 goes today, c2 tomorrow.
    const id = await create({ category: 'marketing', audience: { externalUserIds: [c1, c2] }, schedule: { start: start.toISOString(), end: new Date(start.getTime() + 5 * DAY).toISOString(), perSenderDailyRate: 1 } });
    const sut = campaignService(app.services);
    const approved = await sut.approve(id, start);
    expect(approved.summary.deferred.SCHEDULE_FULL).toBe(1);
    expect(approved.dispatched).toBe(1);
    await app.services.judgement.complaints.fileByRep({ externalUserId: c2, userId: reps[1], text: '别再发了', sourceRef: 'mid-campaign' }, new Date(start.getTime() + 3_600_000));
    clock.advance(DAY);
    expect(await sut.dispatch(clock())).toBe(1);
    expect(await sut.recipient(id, c2)).toEqual(expect.objectContaining({ decision: 'excluded', reason: 'COMPLAINT_OPEN', result: 'excluded' }));
    const intents = await app.services.db.query<{ body: string }>('SELECT body FROM outbox_intents WHERE idem_key LIKE ?', [`campaign:${id}:%`]);
    const sentTo = intents.flatMap((i) => (JSON.parse(i.body) as { externalUserIds?: string[] }).externalUserIds ?? []);
    expect(sentTo).toEqual([c1]);
  });

  it('should track each customer\'s result, record touches only for sent ones, remind at most 3 times a day, and cancel', async () => {
    const rep = reps[2];
    const [s1, s2, gone] = customersOf.get(rep)!.slice(3, 6);
    const start = clock();
    const id = await create({ audience: { externalUserIds: [s1, s2, gone] }, schedule: { start: start.toISOString(), end: new Date(start.getTime() + 3 * DAY).toISOString(), perSenderDailyRate: 100 } });
    const sut: CampaignService = campaignService(app.services);
    await sut.approve(id, start);
    const outbox = rig();
    await outbox.worker.drain();
    // Reminders: WeCom allows 3 per 24 h.
    for (let i = 0; i < 3; i++) expect((await sut.remind(id, clock())).reminded).toEqual([rep]);
    const fourth = await sut.remind(id, clock());
    expect(fourth.reminded).toEqual([]);
    expect(fourth.skipped[0].why).toMatch(/^第 \d+ 批：24 小时内已提醒 3 次（企业微信最多允许 3 次），\d{4}-\d\d-\d\d \d\d:\d\d 之后才能再提醒$/);
    // The customer deletes the rep before the member confirms; then the member sends.
    await adminPost(sim, '/contacts/deleted-by-customer', { userId: rep, externalUserId: gone });
    const [{ msgIds: [msgId] }] = [await tasksOf(id)];
    await adminPost(sim, `/msg-templates/${msgId}/confirm`, { userId: rep });
    clock.advance(2 * 60_000);
    await outbox.worker.drain();
    await sut.track(clock());
    const status = await sut.status(id);
    expect(status.results.sent).toBe(2);
    expect(await sut.recipient(id, s1)).toEqual(expect.objectContaining({ result: 'sent' }));
    expect(await sut.recipient(id, gone)).toEqual(expect.objectContaining({ result: 'not_friend' }));
    expect((await findTouchesOfCustomer(app.services.db, gone)).filter((x) => x.source === 'campaign')).toHaveLength(0);
    const [touch] = (await findTouchesOfCustomer(app.services.db, s1)).filter((x) => x.source === 'campaign');
    expect(touch).toBeDefined();
    // Recorded when the member sent it (WeCom's send_time), not when planned and not in another era.
    expect(Math.abs(Number(touch.at) - clock().getTime())).toBeLessThan(10 * 60_000);
    expect(status.campaign.status).toBe('done');

    // Cancel: the first day's task is already in WeCom, the second day's batch not yet sent.
    const [k1, k2] = customersOf.get(rep)!.slice(0, 2);
    const c = await create({ audience: { externalUserIds: [k1, k2] }, schedule: { start: clock().toISOString(), end: new Date(clock().getTime() + 5 * DAY).toISOString(), perSenderDailyRate: 1 } });
    await sut.approve(c, clock());
    await outbox.worker.drain();
    const res = await api(`/${c}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cancelled: true, batchesStopped: 1, tasksCancelled: 1 });
    const [cancelledTask] = (await tasksOf(c)).msgIds;
    // The member confirms too late: WeCom delivers nothing for a cancelled task.
    await adminPost(sim, `/msg-templates/${cancelledTask}/confirm`, { userId: rep });
    expect((await ledger(sim, 'mass_sent')).filter((r) => r.ref === cancelledTask)).toEqual([]);
    clock.advance(2 * DAY);
    expect(await sut.dispatch(clock())).toBe(0);
    expect((await sut.status(c)).results).toEqual({ cancelled: 2 });
    expect((await api(`/${c}/approve`, { method: 'POST' })).status).toBe(409);
  });
});
