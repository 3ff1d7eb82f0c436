import { campaignService } from '../../src/campaigns/service';
import { groupContentService } from '../../src/group-content/service';
import { saveGroupChat } from '../../src/groups/repository';
import { loadPolicyConfig, parsePolicyConfig } from '../../src/policy/config';
import { livePolicyOf, rawOf, type CurrentPolicy } from '../../src/policy/live';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { DAY, seedCustomers } from '../helpers/seed';
import { startTestSimulator } from '../wecom/support';
import { ConsoleBrowser, useAdminConfig } from './client';

/**
 * The versioned policy and its what-if, over HTTP on the real server and database. Attacked:
 * validation (the start-up sentence, nothing stored), a second instance switching without a
 * restart (waiting for its poll, not a sleep), two admins saving from the same version on two
 * instances at once (one wins, the other is told), a stored version that no longer validates
 * (kept out), and what-if counts on seeded customers, reminders, a campaign and a group post.
 */
jest.setTimeout(120_000);

// Monday 2026-03-02 10:00 Beijing.
const T0 = '2026-03-02T02:00:00Z';

describe('the versioned policy', () => {
  const clock = manualClock(T0);
  let sim: RunningSimulator;
  let app: TestApp;
  let other: TestApp;
  let config: { restore(): void };
  let admin: string;
  let viewer: string;
  let rep: string;
  const files = loadPolicyConfig();

  beforeAll(async () => {
    sim = await startTestSimulator({ clock });
    [admin, viewer, rep] = sim.admin.reps().slice(0, 3).map((r) => r.userId);
    config = useAdminConfig({ admins: [admin], viewers: [viewer] });
    app = await startTestApp({ clock, env: { WECOM_API_BASE: sim.url } });
    other = await startTestApp({ clock, database: app.database, env: { WECOM_API_BASE: sim.url } });
  });
  afterAll(async () => {
    await other?.stop();
    await app?.stop();
    await sim?.stop();
    config?.restore();
  });

  const signedIn = async (t: TestApp, userId: string) => {
    const b = new ConsoleBrowser(t.url);
    expect((await b.scanAs(sim, userId)).res.status).toBe(303);
    return b;
  };
  /** Resolves when `t` has switched to `version` (its own poll, every 5 s). */
  const switched = (t: TestApp, version: number) => new Promise<CurrentPolicy>((resolve) => {
    const live = livePolicyOf(t.services);
    if (live.current().version === version) return resolve(live.current());
    const on = (p: CurrentPolicy) => {
      if (p.version !== version) return;
      live.off('changed', on);
      resolve(p);
    };
    live.on('changed', on);
  });
  const quiet = { start: '08:00', end: '23:00' };
  const candidatePressure = () => {
    const p = rawOf(files).pressure as { tiers: Record<string, { quietHours: unknown }>; group: { quietHours: unknown } };
    p.tiers.potential.quietHours = quiet;
    p.group.quietHours = quiet;
    return p;
  };

  it('should start on the files as version 0 and refuse an invalid policy with the start-up sentence, storing nothing', async () => {
    const b = await signedIn(app, admin);
    const cur = await b.json<{ version: number; source: string; policy: unknown }>('GET', '/admin/api/policy');
    expect(cur.body).toMatchObject({ version: 0, source: 'files' });
    expect(cur.body.policy).toEqual(rawOf(files));

    const bad = rawOf(files);
    (bad.pressure as { tiers: { core: { minGapHours: unknown } } }).tiers.core.minGapHours = -3;
    let startUp = '';
    try {
      parsePolicyConfig(bad);
    } catch (err) {
      startUp = (err as Error).message;
    }
    expect(startUp).toContain('tiers.core.minGapHours');
    const res = await b.json<{ code: string; message: string }>('POST', '/admin/api/policy', { policy: { pressure: bad.pressure }, note: '试试' });
    expect(res).toEqual({ status: 400, body: expect.objectContaining({ code: 'POLICY_CONFIG_INVALID', message: startUp }) });
    const unknown = await b.json<{ message: string }>('POST', '/admin/api/policy', { policy: { pressur: {} } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('policy.pressur is not a part of the policy');
    // A tier renamed in tiers.json alone fails as at start-up, naming the file and the field.
    const tiers = rawOf(files).tiers as { tiers: { id: string }[] };
    tiers.tiers[0].id = 'vip';
    expect((await b.json<{ message: string }>('POST', '/admin/api/policy', { policy: { tiers } })).body.message).toMatch(/^config\/tiers\.json: .*vip/);
    expect((await b.json('POST', '/admin/api/policy', { policy: {}, note: 42 })).status).toBe(400);
    expect((await b.json('GET', '/admin/api/policy/versions')).body).toEqual({ versions: [] });
  });

  it('should save a version, switch this instance at once and the other at its next poll, without a restart', async () => {
    const b = await signedIn(app, admin);
    const elsewhere = switched(other, 1);
    const saved = await b.json<{ version: number; source: string; actor: string; note: string }>('POST', '/admin/api/policy', { policy: { pressure: candidatePressure() }, note: '放宽潜在客户的免打扰时段' });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ version: 1, source: 'database', actor: admin, note: '放宽潜在客户的免打扰时段' });
    expect(app.services.judgement.policy.pressure.tiers.potential.quietHours).toEqual(quiet);

    // The other instance was never restarted; its next poll switches it.
    const p = await elsewhere;
    expect(p.policy.pressure.group.quietHours).toEqual(quiet);
    expect(other.services.judgement.pressurePolicy.config.tiers.potential.quietHours).toEqual(quiet);
    // And it judges by it: a potential customer at 11:00 is now in quiet hours.
    const now = clock().getTime();
    await seedCustomers(other.services.db, [{ id: 'wm-quiet-check', rep, addedAt: now - 90 * DAY }], now);
    const v = await other.services.judgement.pressure.evaluateOne('wm-quiet-check', 'care', new Date('2026-03-03T03:00:00Z'), { kind: 'test', id: 'quiet' });
    expect(v).toMatchObject({ allowed: false, reasons: expect.arrayContaining(['QUIET_HOURS']) });

    const [row] = await app.services.db.query<{ actor: string; target: string; before_json: string; after_json: string }>(
      "SELECT actor, target, before_json, after_json FROM admin_audit WHERE action = 'policy.save'");
    expect(row).toMatchObject({ actor: admin, target: 'policy:1' });
    // Only the part that changed is in the audit row, before and after.
    expect(Object.keys(JSON.parse(row.before_json))).toEqual(['version', 'pressure']);
    expect(JSON.parse(row.before_json).pressure.tiers.potential.quietHours).toEqual(files.pressure.tiers.potential.quietHours);
    expect(JSON.parse(row.after_json)).toMatchObject({ version: 1, pressure: { tiers: { potential: { quietHours: quiet } } } });
  });

  it('should let only one of two admins saving from the same version on two instances win; the other is told to reload', async () => {
    const [a, c] = [await signedIn(app, admin), await signedIn(other, admin)];
    const edit = (hours: number) => {
      const p = rawOf(app.services.judgement.policy).pressure as { serviceWindowHours: number };
      p.serviceWindowHours = hours;
      return { policy: { pressure: p }, basedOn: 1, note: `服务窗口 ${hours} 小时` };
    };
    const results = await Promise.all([a.json<{ code?: string; version?: number }>('POST', '/admin/api/policy', edit(24)), c.json<{ code?: string; version?: number }>('POST', '/admin/api/policy', edit(72))]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body.code).toBe('POLICY_CHANGED');
    const winner = results.find((r) => r.status === 201)!;
    expect(winner.body.version).toBe(2);
    const versions = await a.json<{ versions: { version: number; basedOn: number }[] }>('GET', '/admin/api/policy/versions');
    expect(versions.body.versions.map((v) => [v.version, v.basedOn])).toEqual([[2, 1], [1, 0]]);
    // A save from a version that is no longer current is refused without writing.
    expect((await a.json('POST', '/admin/api/policy', edit(30))).status).toBe(409);
    await switched(app, 2);
    await switched(other, 2);
    expect(app.services.judgement.policy.pressure.serviceWindowHours).toBe(other.services.judgement.policy.pressure.serviceWindowHours);
    // Each version can be read back; version 0 is the files.
    expect((await a.json<{ source: string }>('GET', '/admin/api/policy/versions/0')).body.source).toBe('files');
    expect((await a.json<{ version: number }>('GET', '/admin/api/policy/versions/1')).body.version).toBe(1);
    expect((await a.json('GET', '/admin/api/policy/versions/99')).status).toBe(404);
    expect((await a.json('GET', '/admin/api/policy/versions/x')).status).toBe(400);
  });

  it('should keep the policy in effect when a stored version no longer validates', async () => {
    const before = app.services.judgement.policy;
    await app.services.db.exec('INSERT INTO policy_versions (based_on, policy, actor, note, saved_at) VALUES (?, ?, ?, ?, ?)',
      [2, JSON.stringify({ ...rawOf(before), pressure: { serviceWindowHours: 'soon' } }), 'older-release', '', clock().getTime()]);
    await livePolicyOf(app.services).refresh({ force: true });
    expect(livePolicyOf(app.services).current().version).toBe(2);
    expect(app.services.judgement.policy).toBe(before);
    expect(app.logs.lines().some((l) => l.msg === 'saved policy version does not validate; keeping the policy in effect')).toBe(true);
    // The bad row does not block the next save: it is based on the highest version stored.
    const b = await signedIn(app, admin);
    const next = await b.json<{ version: number }>('POST', '/admin/api/policy', { policy: {}, note: '修复' });
    expect(next.status).toBe(201);
    expect(next.body.version).toBeGreaterThan(3);
  });

  describe('what-if', () => {
    const rich = 'wm-whatif-rich';
    const plain = ['wm-whatif-p1', 'wm-whatif-p2', 'wm-whatif-p3', 'wm-whatif-p4'];
    let chatId: string;
    let defaults: number;

    beforeAll(async () => {
      // Back to the files first (the campaign below is approved under them): a version equal to config/.
      const b = await signedIn(app, admin);
      const back = await b.json<{ version: number }>('POST', '/admin/api/policy', { policy: rawOf(files), note: '恢复默认' });
      expect(back.status).toBe(201);
      defaults = back.body.version;
      const db = app.services.db;
      const now = clock().getTime();
      await db.exec('DELETE FROM external_contacts');
      await seedCustomers(db, [
        { id: rich, rep, addedAt: now - 300 * DAY, orders: Array.from({ length: 8 }, (_, i) => ({ id: `whatif-${i}`, amount: 2000, at: now - (i + 1) * 3 * DAY })) },
        ...plain.map((id) => ({ id, rep, addedAt: now - 90 * DAY })),
      ], now);
      const at = (iso: string) => Date.parse(iso);
      const reminder = (id: string, due: number, status = 'open') => db.exec(
        `INSERT INTO reminders (external_user_id, user_id, kind, rule_key, title, message, due_at, status, created_at, updated_at) VALUES (?, ?, 'care', ?, '回访', '', ?, ?, ?, ?)`,
        [id, rep, `whatif:${id}:${due}`, due, status, now, now]);
      // Next week is Monday 2026-03-09 to Monday 2026-03-16 (Beijing); 11:00 is outside the files' quiet hours.
      await reminder(plain[0], at('2026-03-10T03:00:00Z'));
      await reminder(plain[1], at('2026-03-11T03:00:00Z'));
      await reminder(plain[2], at('2026-03-03T03:00:00Z')); // this week
      await reminder(plain[3], at('2026-03-17T03:00:00Z')); // the week after
      await reminder(plain[3], at('2026-03-12T03:00:00Z'), 'done');

      const campaigns = campaignService(app.services);
      const c = await campaigns.create({
        name: '下周回访', category: 'care', creator: 'ops', audience: { externalUserIds: [plain[2], plain[3]] }, content: { text: '您好' },
        schedule: { start: '2026-03-10T11:00:00+08:00', end: '2026-03-12T20:00:00+08:00', perSenderDailyRate: 100 },
      });
      const approved = await campaigns.approve(c.id, clock());
      expect(approved.summary.admitted).toBe(2);

      chatId = sim.admin.createGroupChat({ owner: rep, name: `下周群 ${rep}`, externalUserIds: [] }).chatId;
      const g = sim.state.groupChats.get(chatId)!;
      await saveGroupChat(db, { chatId, name: g.name, ownerUserId: g.owner, createdAt: g.createTime * 1000, notice: null,
        members: g.members.map((m) => ({ memberId: m.userId, type: m.type, joinTime: m.joinTime * 1000 })) }, { at: now, now, cause: 'test' });
      await groupContentService(app.services).create({
        name: '周三上新', creator: 'ops', target: { chatIds: [chatId] }, content: { text: '上新啦' }, schedule: { at: '2026-03-11T11:00:00+08:00' },
      }, clock());
    });

    it('should count the customers who change tier and next week\'s touches it would admit or defer, by reason, storing nothing', async () => {
      const b = await signedIn(app, viewer);
      const tiers = rawOf(files).tiers as { tiers: { id: string; minScore: number }[] };
      tiers.tiers.forEach((t, i) => (t.minScore = i === tiers.tiers.length - 1 ? 0 : 1000 - i));
      const [{ n: auditBefore }] = await app.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM admin_audit');
      const [{ n: denialsBefore }] = await app.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM pressure_denials');
      const res = await b.json<Record<string, any>>('POST', '/admin/api/policy/what-if', { policy: { tiers, pressure: candidatePressure() } }); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(res.status).toBe(200);
      expect(res.body.window).toEqual({ from: '2026-03-08T16:00:00.000Z', to: '2026-03-15T16:00:00.000Z' });
      expect(res.body.currentVersion).toBe(defaults);
      expect(res.body.tiers.customers).toBe(5);
      expect(res.body.tiers.changed).toBe(1);
      expect(res.body.tiers.moves).toEqual([{ from: expect.not.stringMatching(/^potential$/), to: 'potential', count: 1 }]);
      const quietly = (total: number) => ({
        total, current: { admitted: total, deferred: {} }, candidate: { admitted: 0, deferred: { QUIET_HOURS: total } }, newlyAdmitted: 0, newlyDeferred: total,
      });
      expect(res.body.touches.reminders).toEqual(quietly(2));
      expect(res.body.touches.campaigns).toEqual(quietly(2));
      expect(res.body.touches.groupPosts).toEqual(quietly(1));

      // The same policy changes nothing.
      const same = await b.json<Record<string, any>>('POST', '/admin/api/policy/what-if', { policy: {} }); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(same.body.tiers.changed).toBe(0);
      expect(same.body.touches.reminders).toMatchObject({ total: 2, newlyAdmitted: 0, newlyDeferred: 0 });

      // Nothing stored: no version, no denial, no audit row; an invalid candidate is a 400.
      expect(livePolicyOf(app.services).current().version).toBe(defaults);
      const [{ n: auditAfter }] = await app.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM admin_audit');
      const [{ n: denialsAfter }] = await app.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM pressure_denials');
      expect(Number(auditAfter)).toBe(Number(auditBefore));
      expect(Number(denialsAfter)).toBe(Number(denialsBefore));
      expect((await b.json('POST', '/admin/api/policy/what-if', { policy: { tiers: { tiers: [] } } })).status).toBe(400);
      expect((await b.json('POST', '/admin/api/policy/what-if?now=monday', { policy: {} })).status).toBe(400);
      // A viewer may preview but not save.
      expect((await b.json('POST', '/admin/api/policy', { policy: {} })).status).toBe(403);
    });
  });
});
