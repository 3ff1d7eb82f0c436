import { groupContentService } from '../../src/group-content/service';
import { saveGroupChat } from '../../src/groups/repository';
import { RATE_LIMITS } from '../../src/http/middleware/rate-limit';
import { signToken } from '../../src/sidebar-api/signed-token';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { DAY, seedCustomers } from '../helpers/seed';
import { startTestSimulator } from '../wecom/support';
import { ConsoleBrowser, useAdminConfig } from './client';

/**
 * The console's JSON API over HTTP against the real server, the real database and the WeCom
 * simulator's web login. Attacked: sign-in (a replayed or foreign state, a member not in
 * config/admin.json, a session of another corp), every route under every role, cross-site
 * mutations, bad input (4xx with a sentence, nothing stored), and the audit trail of each change.
 */
jest.setTimeout(120_000);

const TOKEN = 'console-api-token-0123456789abcdef';
// Monday 2026-03-02 10:00 Beijing.
const T0 = '2026-03-02T02:00:00Z';
const HOUR = 3_600_000;

describe('the console API', () => {
  const clock = manualClock(T0);
  let sim: RunningSimulator;
  let app: TestApp;
  let config: ReturnType<typeof useAdminConfig>;
  let admin: string;
  let operator: string;
  let viewer: string;
  let outsider: string;
  let customers: string[];
  let chatId: string;

  beforeAll(async () => {
    sim = await startTestSimulator({ clock });
    [admin, operator, viewer, outsider] = sim.admin.reps().slice(0, 4).map((r) => r.userId);
    config = useAdminConfig({ admins: [admin], operators: [operator], viewers: [viewer] });
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url, FENCUN_ADMIN_TOKEN: TOKEN } });
    customers = [...sim.state.followsByUser.get(operator)!.keys()].slice(0, 4);
    const now = clock().getTime();
    await seedCustomers(app.services.db, customers.map((id) => ({ id, rep: operator, addedAt: now - 90 * DAY })), now);
    chatId = sim.admin.createGroupChat({ owner: operator, name: `VIP群 ${operator}`, externalUserIds: customers.slice(0, 2) }).chatId;
    const c = sim.state.groupChats.get(chatId)!;
    await saveGroupChat(app.services.db, {
      chatId, name: c.name, ownerUserId: c.owner, createdAt: c.createTime * 1000, notice: null,
      members: c.members.map((m) => ({ memberId: m.userId, type: m.type, joinTime: m.joinTime * 1000 })),
    }, { at: now, now, cause: 'test' });
  });
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
    config?.restore();
  });

  const signedIn = async (userId: string) => {
    const b = new ConsoleBrowser(app.url);
    const { res } = await b.scanAs(sim, userId);
    expect(res.status).toBe(303);
    return b;
  };
  const audit = (action: string) => app.services.db.query<{ actor: string; target: string | null; before_json: string | null; after_json: string | null }>(
    'SELECT actor, target, before_json, after_json FROM admin_audit WHERE action = ? ORDER BY id', [action]);
  const campaign = (over: Record<string, unknown> = {}) => ({
    name: '春季回访', category: 'care', audience: { externalUserIds: customers },
    content: { text: '您好，最近使用还顺利吗？' },
    schedule: { start: new Date(clock().getTime() + DAY).toISOString(), end: new Date(clock().getTime() + 8 * DAY).toISOString(), perSenderDailyRate: 100 },
    ...over,
  });
  const post = (at: number, over: Record<string, unknown> = {}) => ({
    name: '周三新品', target: { chatIds: [chatId] }, content: { text: '新品到了，欢迎了解' }, schedule: { at: new Date(at).toISOString() }, ...over,
  });

  describe('WeCom web login', () => {
    it('should send the browser to WeCom\'s wwlogin page and come back signed in, with the cookie HttpOnly, Lax, on /admin', async () => {
      const b = new ConsoleBrowser(app.url);
      const start = await b.get('/admin/auth/wecom/start?to=/admin/console/');
      expect(start.status).toBe(302);
      const loc = new URL(start.headers.get('location')!);
      expect(`${loc.origin}${loc.pathname}`).toBe(`${sim.url}/wwlogin/sso/login`);
      expect(Object.fromEntries(loc.searchParams)).toEqual({
        login_type: 'CorpApp', appid: app.services.config.wecom.corpId, agentid: String(app.services.config.wecom.agentId),
        redirect_uri: `${app.services.config.publicBaseUrl}/admin/auth/wecom/callback`, state: expect.stringMatching(/^[\w-]{16}$/),
      });
      const state = start.headers.getSetCookie().find((c) => c.startsWith('fc_admin_oauth='))!;
      expect(state).toMatch(/httponly/i);
      expect(state).toMatch(/samesite=lax/i);
      expect(state).toMatch(/path=\/admin/i);

      b.jar.clear();
      const { res } = await b.scanAs(sim, admin, '/admin/console/');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/admin/console/');
      const session = res.headers.getSetCookie().find((c) => c.startsWith('fc_admin='))!;
      expect(session).toMatch(/httponly/i);
      expect(session).toMatch(/samesite=lax/i);
      expect(session).toMatch(/path=\/admin/i);
      const me = await b.json('GET', '/admin/api/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ user: { id: admin, role: 'admin', via: 'wecom' }, can: { read: true, operate: true, administer: true } });
      expect((await audit('admin.sign-in')).some((r) => r.actor === admin)).toBe(true);
    });

    it('should take a state once: a replayed callback, even at another instance, and a callback without this browser\'s state are refused', async () => {
      const second = await startTestApp({ clock, database: app.database, env: { WECOM_API_BASE: sim.url, FENCUN_ADMIN_TOKEN: TOKEN } });
      try {
        const b = new ConsoleBrowser(app.url);
        const start = await b.get('/admin/auth/wecom/start');
        const stateCookie = b.cookie;
        const nonce = new URL(start.headers.get('location')!).searchParams.get('state')!;
        const code = () => sim.admin.issueOAuthCode({ userId: operator });
        const cb = (c: string) => `/admin/auth/wecom/callback?code=${c}&state=${nonce}`;
        const first = await b.get(cb(code()));
        expect(first.status).toBe(303);
        // The attacker kept the state cookie and tries again, with a fresh code, at both instances.
        for (const url of [app.url, second.url]) {
          const replay = await fetch(url + cb(code()), { headers: { Cookie: stateCookie }, redirect: 'manual' });
          expect(replay.status).toBe(400);
          expect(replay.headers.getSetCookie().some((c) => /^fc_admin=[^;]+/.test(c))).toBe(false);
        }
        // A link with a code and a state but not this browser's state cookie.
        const foreign = await fetch(app.url + cb(code()), { redirect: 'manual' });
        expect(foreign.status).toBe(400);
        expect(await foreign.text()).toContain('登录已失效');
      } finally {
        await second.stop();
      }
    });

    it('should refuse a member not listed in config/admin.json (403, no session) and an invalid code (400)', async () => {
      const b = new ConsoleBrowser(app.url);
      const { res } = await b.scanAs(sim, outsider);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('没有控制台权限');
      expect(b.jar.has('fc_admin')).toBe(false);
      expect((await b.json('GET', '/admin/api/me')).status).toBe(401);

      const start = await b.get('/admin/auth/wecom/start');
      const nonce = new URL(start.headers.get('location')!).searchParams.get('state')!;
      expect((await b.get(`/admin/auth/wecom/callback?code=made-up&state=${nonce}`)).status).toBe(400);
    });

    it('should not take a session of another corp, nor one naming a role, signed with the same secret', async () => {
      const secret = app.services.config.sessionSecret;
      const exp = clock().getTime() + HOUR;
      const forged = (p: object) => fetch(`${app.url}/admin/api/me`, { headers: { Cookie: 'fc_admin=' + signToken(secret, 'admin-session', p) } });
      expect((await forged({ u: admin, via: 'wecom', c: 'ww-other-corp', exp, j: 'x' })).status).toBe(401);
      // A local-admin cookie without the token's key (or with an old one) is nobody.
      expect((await forged({ u: 'local-admin', via: 'token', c: app.services.config.wecom.corpId, exp, j: 'x', k: 'old' })).status).toBe(401);
      // The role comes from config/admin.json, never from the cookie: a viewer's cookie stays a viewer.
      const v = await forged({ u: viewer, via: 'wecom', c: app.services.config.wecom.corpId, exp, j: 'x', role: 'admin' });
      expect(((await v.json()) as { user: { role: string } }).user.role).toBe('viewer');
      // The sidebar's session cookie is not a console session.
      const sidebar = await fetch(`${app.url}/admin/api/me`, { headers: { Cookie: 'fc_admin=' + signToken(secret, 'session', { u: admin, c: app.services.config.wecom.corpId, exp, iat: 0 }) } });
      expect(sidebar.status).toBe(401);
    });

    it('should sign in with the local token as JSON (first set-up), and refuse a wrong one with 401', async () => {
      const b = new ConsoleBrowser(app.url);
      expect((await b.json('POST', '/admin/api/session/token', { token: 'wrong-token-0123456789' })).status).toBe(401);
      expect(b.jar.has('fc_admin')).toBe(false);
      const ok = await b.json('POST', '/admin/api/session/token', { token: TOKEN });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ user: { id: 'local-admin', role: 'admin', via: 'token' } });
      expect((await b.request('POST', '/admin/api/logout')).status).toBe(204);
      expect((await b.json('GET', '/admin/api/me')).status).toBe(401);
    });
  });

  describe('roles', () => {
    it('should let each role do exactly what it may: viewer reads, operator operates, admin saves policy', async () => {
      const browsers = { viewer: await signedIn(viewer), operator: await signedIn(operator), admin: await signedIn(admin), nobody: new ConsoleBrowser(app.url) };
      const routes: { method: 'GET' | 'POST'; path: string; body?: unknown; need: 'viewer' | 'operator' | 'admin' }[] = [
        { method: 'GET', path: '/admin/api/me', need: 'viewer' },
        { method: 'GET', path: '/admin/api/operations', need: 'viewer' },
        { method: 'GET', path: '/admin/api/campaigns', need: 'viewer' },
        { method: 'POST', path: '/admin/api/campaigns/audience-count', body: { externalUserIds: customers }, need: 'viewer' },
        { method: 'GET', path: '/admin/api/group-posts?view=week&date=2026-03-02', need: 'viewer' },
        { method: 'GET', path: '/admin/api/policy', need: 'viewer' },
        { method: 'GET', path: '/admin/api/policy/versions', need: 'viewer' },
        { method: 'GET', path: '/admin/api/audit', need: 'viewer' },
        { method: 'POST', path: '/admin/api/policy/what-if', body: { policy: {} }, need: 'viewer' },
        { method: 'POST', path: '/admin/api/campaigns', body: campaign({ name: 'role test' }), need: 'operator' },
        { method: 'POST', path: '/admin/api/group-posts', body: post(clock().getTime() + 2 * DAY, { name: 'role test' }), need: 'operator' },
        { method: 'POST', path: '/admin/api/inbox/retry-dead', need: 'operator' },
        { method: 'POST', path: '/admin/api/policy', body: { policy: {}, note: 'role test' }, need: 'admin' },
      ];
      const rank = { nobody: -1, viewer: 0, operator: 1, admin: 2 };
      const seen: string[] = [];
      for (const r of routes) {
        for (const [role, b] of Object.entries(browsers) as [keyof typeof rank, ConsoleBrowser][]) {
          const res = await b.json(r.method, r.path, r.body);
          const expected = role === 'nobody' ? 401 : rank[role] >= rank[r.need] ? (r.method === 'POST' && r.need !== 'viewer' && !r.path.includes('retry') ? 201 : 200) : 403;
          seen.push(`${r.method} ${r.path} as ${role}: ${res.status}`);
          expect(`${r.method} ${r.path} as ${role}: ${res.status}`).toBe(`${r.method} ${r.path} as ${role}: ${expected}`);
          if (expected === 403) expect(res.body).toMatchObject({ code: 'FORBIDDEN', details: { role, need: r.need } });
          if (expected === 401) expect(res.body).toMatchObject({ code: 'SESSION_REQUIRED', details: { login: '/admin/auth/wecom/start' } });
        }
      }
      expect(seen.length).toBe(routes.length * 4);
      // Only what was allowed changed anything: one campaign and one post per permitted role.
      const [{ n: made }] = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM campaigns WHERE name = 'role test'");
      expect(Number(made)).toBe(2);
      const creators = await app.services.db.query<{ creator: string }>("SELECT creator FROM group_posts WHERE name = 'role test' ORDER BY id");
      expect(creators.map((c) => c.creator)).toEqual([operator, admin]);
    });

    it('should take access away at the next request when a member is removed from config/admin.json, and keep the members when the file is broken', async () => {
      const v = await signedIn(viewer);
      expect((await v.json('GET', '/admin/api/me')).status).toBe(200);
      try {
        config.write('{"admins": [');
        expect((await v.json('GET', '/admin/api/me')).status).toBe(200);
        expect(app.logs.lines().some((l) => String(l.msg).includes('invalid file; keeping the members read before'))).toBe(true);
        config.write({ admins: [admin], operators: [operator] });
        const gone = await v.json<{ code: string }>('GET', '/admin/api/me');
        expect(gone).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
        expect((await new ConsoleBrowser(app.url).scanAs(sim, viewer)).res.status).toBe(403);
      } finally {
        config.write({ admins: [admin], operators: [operator], viewers: [viewer] });
      }
      expect((await v.json('GET', '/admin/api/me')).status).toBe(200);
    });

    it('should refuse a cross-site mutation carrying a valid session: nothing is created or audited', async () => {
      const b = await signedIn(operator);
      const before = (await audit('campaign.create')).length;
      const res = await b.request('POST', '/admin/api/campaigns', { body: campaign({ name: 'cross-site' }), headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' } });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('CROSS_SITE');
      const [{ n }] = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM campaigns WHERE name = 'cross-site'");
      expect(Number(n)).toBe(0);
      expect((await audit('campaign.create')).length).toBe(before);
    });
  });

  describe('campaigns', () => {
    it('should count an audience live, then create, plan, approve and cancel a campaign, auditing each with before → after', async () => {
      const b = await signedIn(operator);
      const count = await b.json('POST', '/admin/api/campaigns/audience-count', { externalUserIds: [...customers, 'wm-not-a-customer'] });
      expect(count).toEqual({ status: 200, body: { count: customers.length, at: clock().toISOString() } });
      const created = await b.json<{ id: number; creator: string; status: string }>('POST', '/admin/api/campaigns', campaign({ creator: 'someone-else' }));
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ creator: operator, status: 'draft' });
      const id = created.body.id;
      const plan = await b.json<{ audience: number; admitted: number }>('POST', `/admin/api/campaigns/${id}/plan`);
      expect(plan.status).toBe(200);
      expect(plan.body.audience).toBe(customers.length);
      const approved = await b.json<{ approved: boolean; dispatched: number }>('POST', `/admin/api/campaigns/${id}/approve`);
      expect(approved.body).toMatchObject({ approved: true, dispatched: 0 });
      const status = await b.json<{ campaign: { status: string }; batches: { status: string }[] }>('GET', `/admin/api/campaigns/${id}`);
      expect(status.body.campaign.status).toBe('approved');
      expect(status.body.batches.every((x) => x.status === 'planned')).toBe(true);
      const list = await b.json<{ campaigns: { id: number }[] }>('GET', '/admin/api/campaigns?status=approved');
      expect(list.body.campaigns.map((c) => c.id)).toContain(id);
      const cancelled = await b.json('POST', `/admin/api/campaigns/${id}/cancel`);
      expect(cancelled.body).toMatchObject({ cancelled: true, batchesStopped: status.body.batches.length });
      expect((await b.json('POST', `/admin/api/campaigns/${id}/approve`)).status).toBe(409);

      const rows = (action: string) => audit(action).then((r) => r.filter((x) => x.target === `campaign:${id}`));
      expect((await rows('campaign.create'))[0]).toMatchObject({ actor: operator });
      expect(JSON.parse((await rows('campaign.create'))[0].after_json!)).toMatchObject({ id, name: '春季回访', creator: operator });
      const planRow = (await rows('campaign.plan'))[0];
      expect(planRow.before_json).toBeNull();
      expect(JSON.parse(planRow.after_json!)).toMatchObject({ audience: customers.length });
      const approveRow = (await rows('campaign.approve'))[0];
      expect(JSON.parse(approveRow.before_json!)).toEqual({ status: 'draft' });
      expect(JSON.parse(approveRow.after_json!)).toMatchObject({ status: 'approved', approved: true });
      const cancelRow = (await rows('campaign.cancel'))[0];
      expect(JSON.parse(cancelRow.before_json!)).toEqual({ status: 'approved' });
      expect(JSON.parse(cancelRow.after_json!)).toMatchObject({ status: 'cancelled', cancelled: true });
      // The refused second approval wrote nothing.
      expect(await rows('campaign.approve')).toHaveLength(1);
    });

    it('should answer bad input with a 4xx sentence and store nothing', async () => {
      const b = await signedIn(operator);
      const bad = await b.json<{ code: string; message: string }>('POST', '/admin/api/campaigns', campaign({ category: 'spam' }));
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'CAMPAIGN_INVALID', message: expect.stringContaining('category 只能是 marketing 或 care') });
      const audience = await b.json<{ code: string; message: string }>('POST', '/admin/api/campaigns/audience-count', { stages: ['sleepy'] });
      expect(audience.status).toBe(400);
      expect(audience.body.message).toContain('stages');
      const notJson = await b.request('POST', '/admin/api/campaigns', { raw: '{"name":' });
      expect(notJson.status).toBe(400);
      expect((await b.json('POST', '/admin/api/campaigns/abc/plan')).status).toBe(400);
      expect((await b.json('POST', '/admin/api/campaigns/99999/plan')).status).toBe(404);
      expect((await b.json('POST', '/admin/api/campaigns/1/plan?now=yesterday')).status).toBe(400);
      expect((await b.json('GET', '/admin/api/campaigns?status=sleeping')).status).toBe(400);
      expect((await b.json('GET', '/admin/api/campaigns?limit=0')).status).toBe(400);
      expect((await b.json('GET', '/admin/api/audit?before=x')).status).toBe(400);
      const [{ n }] = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM campaigns WHERE category = 'spam'");
      expect(Number(n)).toBe(0);
    });
  });

  describe('group calendar', () => {
    it('should list a month and a week with previews, move a post by dragging, and refuse to move what is decided or a series', async () => {
      const b = await signedIn(operator);
      // Wednesday 2026-03-11 10:00 Beijing (the week after the roles test's posts).
      const wed = Date.parse('2026-03-11T02:00:00Z');
      const created = await b.json<{ id: number }>('POST', '/admin/api/group-posts', post(wed));
      expect(created.status).toBe(201);
      const id = created.body.id;
      const month = await b.json<{ from: string; to: string; sends: { postId: number; status: string; decision: string; at: number }[] }>('GET', '/admin/api/group-posts?view=month&date=2026-03-15');
      expect(month.body.from).toBe('2026-02-28T16:00:00.000Z');
      expect(month.body.to).toBe('2026-03-31T16:00:00.000Z');
      expect(month.body.sends.find((x) => x.postId === id)).toMatchObject({ status: 'preview', decision: 'send', at: wed });
      const week = await b.json<{ from: string; to: string }>('GET', '/admin/api/group-posts?view=week&date=2026-03-11');
      expect(week.body).toMatchObject({ from: '2026-03-08T16:00:00.000Z', to: '2026-03-15T16:00:00.000Z' });

      // Drag to Thursday 15:00.
      const thu = Date.parse('2026-03-12T07:00:00Z');
      const moved = await b.json<{ schedule: { at: string }; firstAt: number }>('POST', `/admin/api/group-posts/${id}/reschedule`, { at: '2026-03-12T15:00:00+08:00' });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ schedule: { at: new Date(thu).toISOString() }, firstAt: thu });
      const after = await b.json<{ sends: { postId: number; at: number }[] }>('GET', '/admin/api/group-posts?view=week&date=2026-03-11');
      expect(after.body.sends.filter((x) => x.postId === id).map((x) => x.at)).toEqual([thu]);
      const [row] = (await audit('group-post.reschedule')).filter((r) => r.target === `group_post:${id}`);
      expect(JSON.parse(row.before_json!)).toEqual({ schedule: { at: new Date(wed).toISOString() } });
      expect(JSON.parse(row.after_json!)).toEqual({ schedule: { at: new Date(thu).toISOString() } });

      expect((await b.json('POST', `/admin/api/group-posts/${id}/reschedule`, { at: '2026-03-01T10:00:00+08:00' })).status).toBe(400);
      expect((await b.json('POST', `/admin/api/group-posts/${id}/reschedule`, { at: 'thursday' })).status).toBe(400);
      const series = await b.json<{ id: number }>('POST', '/admin/api/group-posts', post(0, { schedule: { series: { days: [1], time: '10:00', from: '2026-03-16', until: '2026-03-30' } } }));
      expect((await b.json('POST', `/admin/api/group-posts/${series.body.id}/reschedule`, { at: '2026-03-10T10:00:00+08:00' })).status).toBe(409);

      // Once the job has decided it, the post stays where it was decided.
      clock.set(new Date(thu));
      try {
        await groupContentService(app.services).decide(clock());
      } finally {
        clock.set(new Date(T0));
      }
      const late = await b.json<{ code: string }>('POST', `/admin/api/group-posts/${id}/reschedule`, { at: '2026-03-13T10:00:00+08:00' });
      expect(late).toMatchObject({ status: 409, body: { code: 'GROUP_POST_DECIDED' } });
      const cancelled = await b.json('POST', `/admin/api/group-posts/${series.body.id}/cancel`);
      expect(cancelled.body).toMatchObject({ cancelled: true });
      expect(JSON.parse((await audit('group-post.cancel')).at(-1)!.before_json!)).toEqual({ status: 'active' });
    });

    it('should import a CSV whole, or list every row\'s problems with its line and store none', async () => {
      const b = await signedIn(operator);
      const header = 'name,at,repeat,until,owners,tags,name_pattern,chat_ids,text,attachments,move_within_hours,creator';
      const bad = [header, `早安,2026-03-10 10:00,,,,,,${chatId},早上好,,24,ops`, `坏行,not a time,,,,,,${chatId},你好,,24,ops`, `坏行二,2026-03-11 10:00,FUNDAY,2026-03-20,,,,${chatId},你好,,24,ops`].join('\n');
      const res = await b.request('POST', '/admin/api/group-posts/import?source=march', { raw: bad, type: 'text/csv' });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; details: { errors: { line: number; message: string }[] } };
      expect(body.code).toBe('GROUP_POSTS_CSV_INVALID');
      expect([...new Set(body.details.errors.map((e) => e.line))]).toEqual([3, 4]);
      expect(body.details.errors.find((e) => e.line === 3)!.message).toContain('at 不是有效时间（填的是 "not a time"），请写成 2026-03-02 10:00');
      expect(body.details.errors.filter((e) => e.line === 4).map((e) => e.message).join(' ')).toContain('repeat 不是有效的重复方式（填的是 "FUNDAY"）');
      const [{ n }] = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM group_posts WHERE source = 'csv:march'");
      expect(Number(n)).toBe(0);

      const good = [header, `早安,2026-03-10 10:00,,,,,,${chatId},早上好,,24,ops`, `周报,2026-03-12 19:30,THU,2026-03-26,,,,${chatId},本周回顾,,12,ops`].join('\n');
      const ok = await b.request('POST', '/admin/api/group-posts/import?source=march', { raw: good, type: 'text/csv' });
      expect(ok.status).toBe(201);
      expect(((await ok.json()) as { imported: number }).imported).toBe(2);
      const [row] = (await audit('group-post.import')).filter((r) => r.target === 'csv:march');
      expect(row.actor).toBe(operator);
      expect(JSON.parse(row.after_json!).ids).toHaveLength(2);
      expect((await b.json('GET', '/admin/api/group-posts?view=year')).status).toBe(400);
      expect((await b.json('GET', '/admin/api/group-posts?view=month&date=2026-02-30')).status).toBe(400);
    });
  });

  describe('operations and audit', () => {
    it('should show the operations snapshot as JSON, retry a dead event once, and page the audit newest first', async () => {
      const b = await signedIn(operator);
      const now = clock().getTime();
      await app.services.inbox.insertMany([{ dedupeKey: 'api-dead', kind: 'change_external_contact', orderKey: null, payload: '{}', eventTime: now, receivedAt: now }]);
      const { claimed } = await app.services.inbox.claim({ instanceId: 'seed', now, leaseMs: 60_000, limit: 10 });
      const dead = claimed.find((r) => r.dedupeKey === 'api-dead')!;
      await app.services.inbox.markFailed(dead.id, dead.leaseToken!, { error: 'handler threw', retryAt: null, failures: 3, firstFailedAt: now });
      const ops = await b.json<{ inbox: Record<string, number>; dead: { id: number }[]; wecomErrors: { scope: string } }>('GET', '/admin/api/operations');
      expect(ops.body.inbox.dead).toBe(1);
      expect(ops.body.dead.map((d) => d.id)).toEqual([dead.id]);
      expect(ops.body.wecomErrors.scope).toBe('instance-since-start');
      const [one, two] = await Promise.all([b.json('POST', `/admin/api/inbox/${dead.id}/retry`), b.json('POST', `/admin/api/inbox/${dead.id}/retry`)]);
      expect([one.status, two.status].sort()).toEqual([200, 409]);
      const retries = (await audit('inbox.retry')).filter((r) => r.target === `inbox_event:${dead.id}`);
      expect(retries).toHaveLength(1);
      expect(JSON.parse(retries[0].after_json!)).toEqual({ status: 'pending' });

      const page1 = await b.json<{ entries: { id: number; actor: string; action: string }[]; next: number | null }>('GET', '/admin/api/audit?limit=3');
      expect(page1.body.entries).toHaveLength(3);
      expect(page1.body.entries[0].action).toBe('inbox.retry');
      const page2 = await b.json<{ entries: { id: number }[] }>('GET', `/admin/api/audit?limit=3&before=${page1.body.next}`);
      expect(page2.body.entries[0].id).toBeLessThan(page1.body.entries[2].id);
    });
  });
  describe('hostile input', () => {
    it('should answer every mutation with hostile bodies and ids with a 4xx, never a 5xx, and leave every read answering', async () => {
      const b = await signedIn(admin);
      const bodies: unknown[] = [null, [], 'text', 42, true, {}, { policy: null }, { policy: [] }, { policy: { tiers: 'x' } }, { at: 12 }, { at: '9999-99-99T99:99' },
        { name: 'x'.repeat(10_000) }, { audience: { tiers: [{}] } }, { externalUserIds: Array(3).fill({}) }, { note: 'n', basedOn: -1 }, { token: {} },
        { __proto__: { admin: true } }, { constructor: { prototype: { x: 1 } } }];
      const routes = ['/admin/api/campaigns', '/admin/api/campaigns/audience-count', '/admin/api/campaigns/1/plan', '/admin/api/group-posts',
        // (Not the token sign-in: its 401s would spend this address's auth-failure budget.)
        '/admin/api/group-posts/1/reschedule', '/admin/api/policy', '/admin/api/policy/what-if',
        '/admin/api/inbox/0/retry', '/admin/api/campaigns/-1/cancel', '/admin/api/group-posts/1e3/cancel', '/admin/api/campaigns/99999999999999999999/approve'];
      const seen = new Set<number>();
      for (const route of routes) {
        for (const body of bodies) {
          const res = await b.request('POST', route, { raw: typeof body === 'string' ? body : JSON.stringify(body) });
          seen.add(res.status);
          expect(`${route} ${JSON.stringify(body)?.slice(0, 40)} → ${res.status}`).not.toMatch(/→ 5\d\d$/);
          await res.arrayBuffer();
        }
      }
      expect([...seen].every((x) => x < 500)).toBe(true);
      for (const q of ['?now=2026-13-01T00:00:00Z', '?view=week&date=x', '?from=2026-03-01T00:00:00Z&to=2025-01-01T00:00:00Z', '?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z']) {
        expect((await b.json('GET', `/admin/api/group-posts${q}`)).status).toBe(400);
      }
      for (const path of ['/admin/api/me', '/admin/api/operations', '/admin/api/campaigns', '/admin/api/group-posts?view=month', '/admin/api/policy', '/admin/api/policy/versions', '/admin/api/audit']) {
        expect(`${path} ${(await b.json('GET', path)).status}`).toBe(`${path} 200`);
      }
    });
  });

  // Last: it leaves this address rate limited on the sign-in paths.
  describe('sign-in abuse', () => {
    it(`should answer 429 once ${RATE_LIMITS.authFailures} callbacks from one address were refused, even to a good one`, async () => {
      const b = new ConsoleBrowser(app.url);
      // Earlier tests already spent a few of this address's refusals (replays, a made-up code).
      const statuses: number[] = [];
      for (let i = 0; i <= RATE_LIMITS.authFailures; i++) statuses.push((await b.get(`/admin/auth/wecom/callback?code=guess${i}&state=guess${i}`)).status);
      const first429 = statuses.indexOf(429);
      expect(first429).toBeGreaterThan(RATE_LIMITS.authFailures / 2);
      expect(statuses.slice(0, first429).every((x) => x === 400)).toBe(true);
      expect(statuses.slice(first429).every((x) => x === 429)).toBe(true);
      const start = await b.get('/admin/auth/wecom/start');
      expect(start.status).toBe(429);
      expect(b.jar.has('fc_admin')).toBe(false);
    });
  });

});
