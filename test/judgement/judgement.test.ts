import { fixedClock } from '../../src/clock';
import { JobRunner } from '../../src/jobs/runner';
import { loadPressureStates } from '../../src/judgement/inputs';
import type { PressureState } from '../../src/pressure';
import { allJobs, findJob } from '../../src/jobs/registry';
import { startTestApp, TestApp } from '../helpers/app';
import { DAY, seedCustomers } from '../helpers/seed';

// A Friday morning in Shanghai: outside quiet hours.
const NOW = new Date('2026-11-20T10:00:00+08:00');
const T = NOW.getTime();

describe('judgement on the database', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    await seedCustomers(app.services.db, [
      { id: 'wmVIP', name: '王女士', rep: 'zhangsan', addedAt: T - 400 * DAY,
        orders: [1, 2, 3, 4, 5, 6].map((i) => ({ id: `o-vip-${i}`, amount: 2100, at: T - i * 12 * DAY, product: '羊绒大衣' })),
        inbound: [T - 2 * DAY, T - 9 * DAY, T - 20 * DAY], outbound: [T - 2 * DAY + 60_000],
        tags: [{ id: 'etVIP', name: 'VIP' }] },
      { id: 'wmNEW', rep: 'zhangsan', addedAt: T - 3 * DAY },
      { id: 'wmGONE', rep: 'lisi', addedAt: T - 300 * DAY, ended: { at: T - 5 * DAY, by: 'customer_deleted' },
        orders: [{ id: 'o-gone-1', amount: 300, at: T - 200 * DAY }] },
      { id: 'wmBUSY', rep: 'lisi', addedAt: T - 200 * DAY,
        touches: [T - 25 * DAY, T - 18 * DAY, T - 11 * DAY, T - 4 * DAY].map((at, i) => ({ at, category: 'marketing' as const, ref: `m${i}` })) },
    ], T);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should store each customer\'s tier with Chinese reasons, and history only when the tier changes', async () => {
    const sut = app.services.judgement.tiers;
    const first = await sut.recompute(['wmVIP', 'wmNEW', 'wmGONE', 'wmBUSY'], NOW, 'manual');
    expect(first).toEqual({ customers: 4, changed: 4 });
    const [vip] = await app.services.db.query<{ tier: string; score: unknown; reasons: string; stage: string }>(
      "SELECT tier, score, reasons, stage FROM customer_tiers WHERE external_user_id = 'wmVIP'");
    expect(vip.tier).toBe('core');
    const reasons = JSON.parse(vip.reasons) as { label: string; points: number }[];
    expect(reasons.reduce((s, r) => s + r.points, 0)).toBe(Number(vip.score));
    expect(reasons.map((r) => r.label).join(' ')).toMatch(/¥12,600/);
    expect(vip.stage).toBe('active');

    const again = await sut.recompute(['wmVIP', 'wmNEW', 'wmGONE', 'wmBUSY'], NOW, 'manual');
    expect(again.changed).toBe(0);
    const history = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM tier_history WHERE external_user_id = 'wmVIP'");
    expect(Number(history[0].n)).toBe(1);
  });

  it('should mark a customer who deleted the rep as lost', async () => {
    const [row] = await app.services.db.query<{ stage: string; stage_signals: string }>(
      "SELECT stage, stage_signals FROM customer_tiers WHERE external_user_id = 'wmGONE'");
    expect(row.stage).toBe('lost');
    expect(JSON.parse(row.stage_signals).map((s: { code: string }) => s.code)).toContain('CUSTOMER_DELETED');
  });

  it('should honour a manual override until it expires, recording both moves', async () => {
    const db = app.services.db;
    await db.exec('INSERT INTO tier_overrides (external_user_id, tier, reason, author, set_at, expires_at) VALUES (?,?,?,?,?,?)',
      ['wmNEW', 'key', '集团采购负责人', '主管王五', T, T + 10 * DAY]);
    await app.services.judgement.tiers.recompute(['wmNEW'], NOW, 'manual');
    await app.services.judgement.tiers.recompute(['wmNEW'], new Date(T + 11 * DAY), 'nightly');
    const history = await db.query<{ to_tier: string; reasons: string; cause: string }>(
      "SELECT to_tier, reasons, cause FROM tier_history WHERE external_user_id = 'wmNEW' ORDER BY at, id");
    expect(history.map((h) => h.to_tier)).toEqual(['potential', 'key', 'potential']);
    expect(history[1].reasons).toContain('集团采购负责人');
    expect(history[2].cause).toBe('nightly');
  });

  it('should pick up customers whose data changed in the refresh job', async () => {
    const db = app.services.db;
    const runner = new JobRunner(app.services, allJobs());
    await runner.runNow(findJob('tiers-refresh')!, NOW); // consumes everything seeded so far
    await db.exec(`INSERT INTO orders (external_order_id, external_user_id, amount, paid_at, source, created_at, updated_at)
      VALUES ('o-busy-big', 'wmBUSY', 15000, ?, 'api', ?, ?)`, [T - DAY, T + 60_000, T + 60_000]);
    const summary = await runner.runNow(findJob('tiers-refresh')!, new Date(T + 120_000));
    expect(summary).toEqual({ customers: 1, changed: 1 });
    const [row] = await db.query<{ tier: string }>("SELECT tier FROM customer_tiers WHERE external_user_id = 'wmBUSY'");
    expect(row.tier).not.toBe('potential');
  });

  it('should suggest a complaint from a customer message once, and let the rep confirm and close it', async () => {
    const db = app.services.db;
    const complaints = app.services.judgement.complaints;
    await db.exec(`INSERT INTO messages (msgid, channel, direction, msg_type, external_user_id, user_id, text, msg_time, created_at)
      VALUES ('m-angry', 'archive', 'in', 'text', 'wmVIP', 'zhangsan', '衣服起球了，我要投诉，太不满意了', ?, ?)`, [T - 3_600_000, T]);
    expect(await complaints.scanInbound(NOW)).toMatchObject({ suggested: 1 });
    expect(await complaints.scanInbound(NOW)).toEqual({ scanned: 0, suggested: 0 });
    const [open] = await complaints.openOf('wmVIP');
    expect(open).toMatchObject({ status: 'open', source: 'keyword' });

    const verdict = await app.services.judgement.pressure.evaluateOne('wmVIP', 'marketing', NOW, { kind: 'campaign', id: 'c-1' });
    expect(verdict).toMatchObject({ allowed: false, reasons: expect.arrayContaining(['COMPLAINT_OPEN']) });

    await complaints.confirm(Number(open.id), 'zhangsan', NOW);
    await expect(complaints.close(Number(open.id), 'zhangsan', 'resolved', '  ', NOW)).rejects.toMatchObject({ code: 'RESOLUTION_NOTE_REQUIRED' });
    const closed = await complaints.close(Number(open.id), 'zhangsan', 'compensated', '换新并赠送护理券', NOW);
    expect(closed.status).toBe('closed');
    const after = await app.services.judgement.pressure.evaluateOne('wmVIP', 'marketing', new Date(T + DAY), { kind: 'campaign', id: 'c-2' });
    expect(after).toMatchObject({ allowed: false, reasons: expect.arrayContaining(['COMPLAINT_COOLDOWN']) });
  });

  it('should gate an audience in bulk and record every suppression with its reasons', async () => {
    const pressure = app.services.judgement.pressure;
    const result = await pressure.evaluateAudience(['wmNEW', 'wmGONE', 'wmBUSY'], 'marketing', NOW, { kind: 'campaign', id: 'double-11' });
    expect(result.allowed).toEqual(['wmNEW']);
    const byId = new Map(result.denied.map((d) => [d.externalUserId, d.reasons]));
    expect(byId.get('wmGONE')).toContain('RELATION_ENDED');
    expect(byId.get('wmBUSY')!.length).toBeGreaterThan(0);
    const rows = await app.services.db.query<{ external_user_id: string; reasons: string }>(
      "SELECT external_user_id, reasons FROM pressure_denials WHERE ref_kind = 'campaign' AND ref_id = 'double-11' ORDER BY external_user_id");
    expect(rows.map((r) => r.external_user_id)).toEqual(['wmBUSY', 'wmGONE']);
    expect(await pressure.countDenials(new Date(T - 1), new Date(T + 1))).toMatchObject({ total: expect.any(Number) });
    expect((await pressure.countDenials(new Date(T - 1), new Date(T + 1))).customers).toBeGreaterThanOrEqual(2);
  });

  it('should load the same pressure states by lookup and by table scan', async () => {
    const ids = ['wmVIP', 'wmNEW', 'wmGONE', 'wmBUSY', 'wmUNKNOWN'];
    const sortTouches = (m: Map<string, PressureState>) =>
      [...m.values()].map((x) => ({ ...x, touches: [...x.touches].sort((a, b) => a.at.getTime() - b.at.getTime()) }));
    const lookup = await loadPressureStates(app.services.db, ids, NOW, 'potential', 'lookup');
    const scan = await loadPressureStates(app.services.db, ids, NOW, 'potential', 'scan');
    expect(sortTouches(scan)).toEqual(sortTouches(lookup));
    expect(lookup.get('wmBUSY')!.touches).toHaveLength(4);
    expect(lookup.get('wmGONE')!.relation).toBe('deleted_by_customer');
  });

  it('should allow service replies even to a customer under every cap', async () => {
    const verdict = await app.services.judgement.pressure.evaluateOne('wmBUSY', 'service', NOW, { kind: 'sidebar', id: 'x' });
    expect(verdict.allowed).toBe(false); // wmBUSY never wrote: a "reply" outside the service window is not service
    const vip = await app.services.judgement.pressure.evaluateOne('wmVIP', 'service', NOW, { kind: 'sidebar', id: 'y' });
    expect(vip).toEqual({ allowed: true });
  });
});
