import { fixedClock } from '../../src/clock';
import { careReminders } from '../../src/reminders/care-job';
import type { ContactProfileView } from '../../src/sidebar-api/types';
import { startTestApp, TestApp } from '../helpers/app';
import { CUSTOMERS, NOW, REPS, seedDatabase } from './fixture';
import { SidebarClient } from './http';
import type { SidebarWorld } from './world';

jest.setTimeout(120_000);

/** The sidebar as `npm start` serves it: the app's own HTTP wiring, next to the callback route. */
describe('sidebar through the production app wiring', () => {
  let app: TestApp;
  let client: SidebarClient;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW), env: { FENCUN_DEMO: '1' } });
    await seedDatabase(app.services);
    // As the 09:00 schedule does: post-sale care reaches the sidebar as the owning rep's reminder.
    await careReminders.run({ now: NOW, log: app.services.log, services: app.services, progress: () => {} });
    client = new SidebarClient({ url: app.url } as SidebarWorld);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should require a session, then serve the signed-in rep their customer with tier and next step', async () => {
    expect(await client.json('GET', '/sidebar/api/session')).toMatchObject({ status: 401, body: { code: 'SESSION_REQUIRED' } });
    expect((await client.json('POST', '/sidebar/api/demo/login', { userId: REPS.lina })).status).toBe(200);
    const profile = await client.json<ContactProfileView>('GET', `/sidebar/api/contacts/${CUSTOMERS.chen}`);
    expect(profile.status).toBe(200);
    expect(profile.body.tier).toMatchObject({ id: 'core', label: '核心' });
    expect(profile.body.nextAction).toMatchObject({ kind: 'post_sale_care', allowed: true, title: '售后关怀：山茶花精华套装' });
    // The suggestion is the stored reminder (done/snooze act on it), listed once, greeting by the remark's safe part.
    expect(profile.body.nextAction.reminderId).not.toBeNull();
    expect(profile.body.nextAction.message).toMatch(/^陈姐您好，山茶花精华套装/);
    expect(profile.body.reminders.map((r) => r.id)).not.toContain(profile.body.nextAction.reminderId);
  });

  it('should refuse another rep\'s customer with 403', async () => {
    const res = await client.json('GET', `/sidebar/api/contacts/${CUSTOMERS.zhou}`);
    expect(res.status).toBe(403);
  });

  it('should serve the page and keep the callback and ops routes beside it', async () => {
    const page = await client.request('GET', '/sidebar/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"');
    expect((await fetch(app.url + '/healthz')).status).toBe(200);
    expect((await fetch(app.url + '/wecom/callback', { method: 'POST', body: '<xml/>' })).status).toBe(400);
  });
});
