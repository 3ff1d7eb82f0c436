import { fixedClock } from '../../src/clock';
import { allJobs, findJob } from '../../src/jobs/registry';
import { JobRunner } from '../../src/jobs/runner';
import type { ContactProfileView } from '../../src/sidebar-api/types';
import { startTestApp, TestApp } from '../helpers/app';
import { DAY, seedCustomers } from '../helpers/seed';
import { SidebarClient } from '../sidebar/http';
import type { SidebarWorld } from '../sidebar/world';

const NOW = new Date('2026-11-20T09:00:00+08:00');
const T = NOW.getTime();

describe('care reminders', () => {
  let app: TestApp;
  let runner: JobRunner;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW), env: { FENCUN_DEMO: '1' } });
    runner = new JobRunner(app.services, allJobs());
    const db = app.services.db;
    await db.exec("INSERT INTO members (user_id, name, updated_at) VALUES ('zhaomin', '赵敏', ?)", [T]);
    await seedCustomers(db, [
      { id: 'wmHAPPY', name: '钱女士', rep: 'zhaomin', addedAt: T - 90 * DAY, orders: [{ id: 'SO-1', amount: 899, at: T - 3 * DAY - 3_600_000, product: '羊绒围巾' }] },
      { id: 'wmUPSET', name: '孙先生', rep: 'zhaomin', addedAt: T - 90 * DAY, orders: [{ id: 'SO-2', amount: 1299, at: T - 3 * DAY - 7_200_000, product: '羊绒大衣' }] },
      { id: 'wmOLD', rep: 'zhaomin', addedAt: T - 300 * DAY, orders: [{ id: 'SO-3', amount: 500, at: T - 20 * DAY }] },
      // Sent the coat back yesterday: "用着怎么样" about a refunded purchase would read as not listening.
      { id: 'wmBACK', name: '周女士', rep: 'zhaomin', addedAt: T - 90 * DAY, orders: [
        { id: 'SO-4', amount: 1599, at: T - 3 * DAY - 1_800_000, product: '羊绒大衣' }, { id: 'SO-4-R', amount: -1599, at: T - DAY } ] },
    ], T);
    // 孙先生 complained yesterday: a care reminder now would be pressure, not care.
    await db.exec(`INSERT INTO complaints (external_user_id, user_id, source, source_ref, status, excerpt, opened_at, confirmed_at, confirmed_by, updated_at)
      VALUES ('wmUPSET', 'zhaomin', 'rep', 'r-1', 'confirmed', '大衣掉毛', ?, ?, 'zhaomin', ?)`, [T - DAY, T - DAY, T - DAY]);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should remind the owning rep of post-sale care once, hold it back for a customer who just complained, and skip a refunded purchase', async () => {
    const first = await runner.runNow(findJob('care-reminders')!, NOW);
    expect(first).toEqual({ candidates: 2, created: 1, suppressed: 1, held: 1 });
    const rows = await app.services.db.query<{ external_user_id: string; user_id: string; title: string; message: string; status: string; due_at: unknown }>(
      'SELECT external_user_id, user_id, title, message, status, due_at FROM reminders');
    // 09:00 is still quiet time for this tier (until 10:00): the reminder falls due when contact is fitting.
    expect(rows.map((r) => ({ ...r, due_at: new Date(Number(r.due_at)).toISOString() }))).toEqual([{
      external_user_id: 'wmHAPPY', user_id: 'zhaomin', title: '售后关怀：羊绒围巾', message: expect.stringContaining('钱女士您好'), status: 'open',
      due_at: new Date('2026-11-20T10:00:00+08:00').toISOString(),
    }]);
    const denials = await app.services.db.query<{ external_user_id: string; reasons: string }>(
      "SELECT external_user_id, reasons FROM pressure_denials WHERE ref_kind = 'reminder'");
    expect(denials).toEqual([{ external_user_id: 'wmUPSET', reasons: expect.stringContaining('COMPLAINT_OPEN') }]);

    const again = await runner.runNow(findJob('care-reminders')!, NOW);
    expect(again).toEqual({ candidates: 2, created: 0, suppressed: 0, held: 1 });
    const [{ n }] = await app.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM reminders');
    expect(Number(n)).toBe(1);
  });

  it('should show the reminder in the sidebar and complete it from there', async () => {
    const client = new SidebarClient({ url: app.url } as SidebarWorld);
    expect((await client.json('POST', '/sidebar/api/demo/login', { userId: 'zhaomin' })).status).toBe(200);
    const profile = await client.json<ContactProfileView>('GET', '/sidebar/api/contacts/wmHAPPY');
    expect(profile.status).toBe(200);
    const [reminder] = profile.body.reminders;
    expect(reminder).toMatchObject({ title: '售后关怀：羊绒围巾' });

    const snoozed = await client.json('POST', `/sidebar/api/contacts/wmHAPPY/reminders/${reminder.id}/snooze`, { preset: 'tomorrow' });
    expect(snoozed.status).toBe(200);
    const [{ due_at }] = await app.services.db.query<{ due_at: unknown }>('SELECT due_at FROM reminders WHERE id = ?', [Number(reminder.id)]);
    expect(Number(due_at)).toBeGreaterThan(T + 12 * 3_600_000);

    const done = await client.json<ContactProfileView>('POST', `/sidebar/api/contacts/wmHAPPY/reminders/${reminder.id}/done`);
    expect(done.status).toBe(200);
    expect(done.body.reminders).toEqual([]);
    const [{ status, done_by }] = await app.services.db.query<{ status: string; done_by: string }>(
      'SELECT status, done_by FROM reminders WHERE id = ?', [Number(reminder.id)]);
    expect({ status, done_by }).toEqual({ status: 'done', done_by: 'zhaomin' });
  });
});
