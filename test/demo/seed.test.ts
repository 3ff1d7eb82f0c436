import { localTimeLabel, offsetClock, parseAtOption } from '../../src/demo/clock';
import { quietHoursNote } from '../../src/demo/quiet-hours';
import { STORIES } from '../../src/demo/history';
import { readDemoSeed } from '../../src/demo/seed';
import { findMember } from '../../src/contacts/members';
import { num } from '../../src/db/sql';
import type { ContactProfileView, DemoRep, DemoTarget } from '../../src/sidebar-api/types';
import { SidebarClient } from '../sidebar/http';
import type { SidebarWorld } from '../sidebar/world';
import { startDemoWorld, type DemoWorld } from './world';

jest.setTimeout(180_000);

/** A Thursday morning in Shanghai; the corp clock runs from here, as `npm run demo -- --at 10:30` would. */
const START = new Date('2025-03-06T10:30:00+08:00');
/** Every suggestion the judgement core can give today (birthday and marketing need birthdays and campaigns, not yet stored). */
const KINDS = ['service', 'complaint_follow_up', 'churn_wake_up', 'reminder', 'post_sale_care', 'anniversary', 'revisit', 'give_space'];
const CHINESE_NAME = /^[\u4e00-\u9fff]{2,4}$/;

let world: DemoWorld;
let client: SidebarClient;
let start: DemoRep;
let targets: DemoTarget[];

beforeAll(async () => {
  world = await startDemoWorld(START);
  client = new SidebarClient(world as unknown as SidebarWorld);
  const reps = await client.json<DemoRep[]>('GET', '/sidebar/api/demo/reps');
  start = reps.body.find((r) => r.suggested)!;
  await client.json('POST', '/sidebar/api/demo/login', { userId: start.userId });
  targets = (await client.json<DemoTarget[]>('GET', '/sidebar/api/demo/targets')).body;
});

afterAll(async () => {
  await world?.stop();
});

const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => world.app.services.db.query<T>(sql, params);

describe('the demo seeding', () => {
  it('should give Fencun the whole simulated corp: members by their Chinese names, departments, supervisors, customers, follows, tags and groups', async () => {
    const { counts } = world.summary;
    const sim = world.sim.state;
    expect(counts.members).toBe(sim.users.size);
    expect(counts.membersNamed).toBe(counts.members);
    for (const u of sim.users.values()) {
      const m = await findMember(world.app.services.db, u.userId);
      expect(m?.name).toBe(u.name);
      expect(m?.name).toMatch(CHINESE_NAME);
    }
    expect(counts.departments).toBe(sim.departments.size);
    expect(counts.supervised).toBe(sim.users.size - 1); // everyone but the general manager reports to someone
    expect(counts.customers).toBe(sim.customers.size);
    expect(counts.follows).toBe(sim.counts().follows);
    expect(counts.tags).toBe([...sim.tagGroups.values()].reduce((n, g) => n + g.tags.length, 0));
    expect(counts.groups).toBe(sim.groupChats.size);
  });

  it('should store the six months of history it sent: every order, every chat record, the past outreach, the deletions and re-adds', async () => {
    const { counts, planned } = world.summary;
    expect(planned.orders).toBeGreaterThan(1000);
    expect(counts.orders).toBe(planned.orders);
    const [archive] = await q<{ n: unknown }>(`SELECT COUNT(*) AS n FROM messages WHERE channel = 'archive'`);
    expect(num(archive.n)).toBe(planned.messages);
    expect(counts.touches).toBeGreaterThanOrEqual(planned.touches);
    expect(counts.endedByCustomer).toBe(planned.deletions - planned.readds);
    const [oldest] = await q<{ t: unknown }>('SELECT MIN(paid_at) AS t FROM orders');
    expect(START.getTime() - num(oldest.t)).toBeGreaterThan(170 * 86_400_000);
    // A customer who deleted the rep and came back has both events in the follow history.
    const readd = world.summary.showcase.readd!;
    const [f] = await q<{ status: string }>('SELECT status FROM follows WHERE external_user_id = ? AND user_id = ?', [readd, start.userId]);
    expect(f.status).toBe('active');
  });

  it('should run the jobs once: every customer tiered with history, every tier and stage present, reminders for the reps who own the customers', async () => {
    const { counts } = world.summary;
    expect(Object.values(counts.tiers).reduce((a, b) => a + b, 0)).toBe(counts.customers);
    for (const tier of ['core', 'key', 'regular', 'potential']) expect(counts.tiers[tier]).toBeGreaterThan(0);
    for (const stage of ['new', 'active', 'at_risk', 'dormant', 'lost']) expect(counts.stages[stage]).toBeGreaterThan(0);
    expect(counts.tierHistory).toBeGreaterThanOrEqual(counts.customers);
    expect(counts.reminders).toBeGreaterThan(10);
    const orphans = await q(`SELECT r.id FROM reminders r LEFT JOIN follows f ON f.user_id = r.user_id AND f.external_user_id = r.external_user_id
      WHERE f.id IS NULL OR f.status <> 'active'`);
    expect(orphans).toEqual([]);
    expect(counts.complaints).toBeGreaterThan(0);
    expect(await readDemoSeed(world.app.services)).toMatchObject({ showcaseRep: start.userId });
  });
});

describe('the demo outreach history', () => {
  it('should leave one finished campaign, sent through the outbox to WeCom, with every per-customer outcome WeCom reports', async () => {
    const { campaign } = world.summary.outreach;
    const marker = await readDemoSeed(world.app.services);
    expect(marker?.campaignId).toBe(campaign.id);
    const [row] = await q<{ status: string; approved_at: unknown }>('SELECT status, approved_at FROM campaigns WHERE id = ?', [campaign.id]);
    expect(row.status).toBe('done');
    // It ran four days ago (the corp clock's day, 10:00 local): approved then, not at seeding time.
    expect(START.getTime() - num(row.approved_at)).toBeGreaterThan(3 * 86_400_000);
    for (const outcome of ['sent', 'not_friend', 'over_quota', 'not_sent']) expect(campaign.results[outcome]).toBeGreaterThan(0);
    expect(campaign.plan.audience).toBe(Object.values(campaign.results).reduce((a, b) => a + b, 0));
    expect(campaign.reminded.length).toBe(1);
    // One WeCom task per batch, each created by the outbox.
    const [{ n: batches }] = await q<{ n: unknown }>("SELECT COUNT(*) AS n FROM campaign_batches WHERE campaign_id = ? AND outbox_id IS NOT NULL", [campaign.id]);
    const tasks = world.sim.admin.msgTemplates().filter((m) => m.text === undefined || String(m.text).startsWith('春季焕新季'));
    expect(tasks.length).toBe(num(batches));
    // A touch for each customer WeCom says was sent, at WeCom's send time (four days ago), none for the others.
    const sent = await q<{ external_user_id: string; result_at: unknown }>("SELECT external_user_id, result_at FROM campaign_recipients WHERE campaign_id = ? AND result = 'sent'", [campaign.id]);
    const touches = await q<{ external_user_id: string; at: unknown }>("SELECT external_user_id, at FROM touches WHERE source = 'campaign'");
    expect(new Set(touches.map((t) => t.external_user_id))).toEqual(new Set(sent.map((r) => r.external_user_id)));
    for (const t of touches) expect(START.getTime() - num(t.at)).toBeGreaterThan(3 * 86_400_000);
  });

  it('should leave a week of group posts: some sent, some moved and some skipped, each with its reason', async () => {
    const { groups } = world.summary.outreach;
    const rows = await q<{ decision: string; status: string; reason: string | null; explanation: string; occurrence_at: unknown }>(
      `SELECT decision, status, reason, explanation, occurrence_at FROM group_post_sends WHERE post_id IN (${groups.postIds.map(() => '?').join(',')})`, groups.postIds);
    expect(rows.filter((r) => r.status === 'sent').length).toBeGreaterThan(0);
    for (const kind of ['moved', 'skipped']) {
      const of = rows.filter((r) => r.decision === kind);
      expect(of.length).toBeGreaterThan(0);
      for (const r of of) {
        expect(r.reason).toBeTruthy();
        expect(r.explanation.length).toBeGreaterThan(5);
      }
    }
    // Nothing left half-way: every send is final, and all of them lie in the past week.
    expect(rows.filter((r) => r.status === 'planned' || r.status === 'dispatched')).toEqual([]);
    for (const r of rows) expect(START.getTime() - num(r.occurrence_at)).toBeLessThanOrEqual(8 * 86_400_000);
  });
});

describe('the demo picker', () => {
  it('should list colleagues by name and team and suggest where to start', async () => {
    const reps = (await client.json<DemoRep[]>('GET', '/sidebar/api/demo/reps')).body;
    expect(reps.filter((r) => r.suggested)).toEqual([start]);
    expect(start).toMatchObject({ role: 'rep', name: world.summary.showcaseRep!.name, team: expect.stringMatching(/组$/) });
    for (const r of reps) expect(r.name).toMatch(CHINESE_NAME);
    // Teams are contiguous: each team's members are listed together.
    const order = reps.map((r) => r.team).filter((t, i, all) => all.indexOf(t) === i);
    expect(order.length).toBe(new Set(reps.map((r) => r.team)).size);
    expect(reps.map((r) => r.team).join('|')).toBe(order.flatMap((t) => reps.filter((r) => r.team === t).map(() => t)).join('|'));
  });

  it('should show, among the first customers of the suggested rep, every tier, every stage, every kind of suggestion and every mark', () => {
    const contacts = targets.filter((x) => x.kind === 'contact');
    expect(contacts.length).toBeLessThanOrEqual(4 * 12);
    expect(new Set(contacts.map((x) => x.tier!.id))).toEqual(new Set(['core', 'key', 'regular', 'potential']));
    expect(new Set(contacts.map((x) => x.stage!.id))).toEqual(new Set(['new', 'active', 'at_risk', 'dormant', 'lost']));
    expect([...new Set(contacts.map((x) => x.action!.kind))].sort()).toEqual([...KINDS].sort());
    for (const mark of ['complaint', 'churn_risk', 'waiting', 'give_space', 'lost']) expect(contacts.some((x) => x.marks!.includes(mark as never))).toBe(true);
    // Grouped by tier, highest first.
    const ranks = contacts.map((x) => x.tier!.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('should answer in the sidebar for the seeded identities exactly as the picker said', async () => {
    const show = world.summary.showcase;
    expect(Object.keys(show).sort()).toEqual([...STORIES].sort());
    const seen: string[] = [];
    for (const id of Object.values(show)) {
      const res = await client.json<ContactProfileView>('GET', `/sidebar/api/contacts/${id}`);
      expect(res.status).toBe(200);
      const listed = (await client.json<DemoTarget[]>('GET', `/sidebar/api/demo/targets?q=${encodeURIComponent(res.body.contact.name)}`)).body;
      expect(listed.find((x) => x.id === id)?.action).toEqual({ kind: res.body.nextAction.kind, title: res.body.nextAction.title });
      seen.push(res.body.nextAction.kind);
    }
    // The scripted stories alone show the customer-facing suggestions, whatever the random book holds.
    expect(seen).toEqual(expect.arrayContaining(['service', 'complaint_follow_up', 'churn_wake_up', 'post_sale_care', 'reminder', 'anniversary', 'give_space']));
  });

  it('should search the whole book by name, and refuse an overlong search with a 400', async () => {
    const someone = targets.find((x) => x.kind === 'contact')!;
    const found = (await client.json<DemoTarget[]>('GET', `/sidebar/api/demo/targets?q=${encodeURIComponent(someone.name.slice(0, 2))}`)).body;
    expect(found.map((x) => x.id)).toContain(someone.id);
    expect(found.every((x) => x.name.includes(someone.name.slice(0, 2)) || x.hint.includes(someone.name.slice(0, 2)))).toBe(true);
    const wild = (await client.json<DemoTarget[]>('GET', `/sidebar/api/demo/targets?q=${encodeURIComponent('%')}`)).body;
    expect(wild.every((x) => x.name.includes('%'))).toBe(true);
    expect((await client.json('GET', `/sidebar/api/demo/targets?q=${'长'.repeat(41)}`)).status).toBe(400);
  });
});

describe('the corp clock (--at)', () => {
  it('should put today at the chosen local time, whatever the machine clock says', () => {
    const wall = new Date('2025-03-06T18:00:00Z'); // already 02:00 on the 7th in Shanghai
    expect(localTimeLabel(parseAtOption('22:30', wall, 'Asia/Shanghai'), 'Asia/Shanghai')).toBe('2025-03-07 22:30 (Asia/Shanghai)');
    expect(() => parseAtOption('25:00', wall, 'Asia/Shanghai')).toThrow('--at must be a local time of day such as 10:30');
    let t = wall.getTime();
    const clock = offsetClock(parseAtOption('10:30', wall, 'Asia/Shanghai'), () => new Date(t));
    t += 90_000;
    expect(localTimeLabel(clock(), 'Asia/Shanghai')).toBe('2025-03-07 10:31 (Asia/Shanghai)');
  });

  it('should make pressure decisions at the corp clock: at 22:30 the sidebar says it is the customer\'s quiet hours and what that means', async () => {
    const policy = world.app.services.judgement.pressurePolicy;
    expect(quietHoursNote(policy, world.app.services.clock())).toBeNull();
    const core = world.summary.showcase.core_post_sale!;
    const morning = await client.json<ContactProfileView>('GET', `/sidebar/api/contacts/${core}`);
    expect(morning.body.nextAction.kind).toBe('post_sale_care');

    world.shift(12 * 3_600_000);
    try {
      // Half a day later the demo session has expired, as it would: sign in again.
      await client.json('POST', '/sidebar/api/demo/login', { userId: start.userId });
      expect(quietHoursNote(policy, world.app.services.clock())).toContain('quiet hours now for customers');
      const night = await client.json<ContactProfileView>('GET', `/sidebar/api/contacts/${core}`);
      expect(night.body.nextAction).toMatchObject({ kind: 'give_space', title: '暂不打扰' });
      expect(night.body.nextAction.reasons).toContain('现在是客户的休息时间：不主动联系，客户来消息照常回复');
      expect(night.body.nextAction.reasons.join('\n')).toContain('明天 09:00 起可以联系');
      // A customer who wrote is still answered at night.
      const waiting = await client.json<ContactProfileView>('GET', `/sidebar/api/contacts/${world.summary.showcase.service}`);
      expect(waiting.body.nextAction.kind).toBe('service');
    } finally {
      world.shift(-12 * 3_600_000);
    }
  });
});
