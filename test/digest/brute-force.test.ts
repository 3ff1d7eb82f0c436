import { digestServiceOf } from '../../src/digest/job';
import { digestFor, type Digest, type Kpi } from '../../src/digest/compute';
import { startTestApp, type TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { DEPARTMENTS, MEMBERS, seedOrg } from './world';
import { DAY, NOW, SEED, TARGET_MIN, at, generateWorld, insertWorld, type World } from './brute-world';

/**
 * Every figure of the digest against a brute-force recount on a random but repeatable book
 * (brute-world.ts, seed FENCUN_FUZZ_SEED or a fixed one): ~80 customers of five reps in nested
 * departments (test/digest/world.ts's org), added, deleted, re-added, transferred (with and
 * without a 202 add, within and beyond 24 h) and synced away, crowded around local midnights;
 * 1:1 messages answered just within, at and just beyond the tier's target or not at all, group
 * messages; orders with refunds; reminders done (on time, late), overdue, snoozed, closed;
 * pressure denials with several reasons; campaign recipients and group sends.
 *
 * The recount reads only the generator's rows (including each relation's whole history of
 * episodes, which the database keeps only as change rows) and docs/KPIS.md, never src/digest:
 * for each supervisor (boss, lead2, lead3, lead4; teams recomputed from the org chart) and three
 * dates judged at NOW (as the page opened now judges them), it recounts new customers by state,
 * lost by who ended it (with the high-value weight), waiting, at-risk and dormant, under-served
 * and saturated per rep, reminders done and overdue per rep, prevented touches by first reason,
 * campaign and group-post outcomes, the quiet flag, and each KPI's value, previous 7 and 30
 * days and its 31 daily values. The lists are compared as sets of rep:customer (their order is
 * presentation) and the notes' wording is left to digest.test.ts.
 * Not derived independently: the labels and notes' wording (digest.test.ts checks them by hand), and
 * response waits already open before D−30 (KPIS.md: waits are read from D−30, so the recount reads
 * the same window rather than the whole history).
 */
jest.setTimeout(180_000);

const DATES = ['2026-03-02', '2026-03-01', '2026-02-20'];
const SUPERVISORS = ['boss', 'lead2', 'lead3', 'lead4'];
const HIGH = new Set(['core', 'key']);
const CADENCE: Record<string, number> = { core: 14, key: 30, regular: 60, potential: 90 };
const FALLBACK_TIER = 'potential';
const CAP = ['DAILY_CAP', 'WEEKLY_CAP', 'MONTHLY_CAP', 'MIN_GAP', 'PLATFORM_QUOTA', 'SCHEDULE_FULL', 'BACKOFF_PAUSED'];
const GROUP_CAP = ['PLATFORM_QUOTA', 'MONTHLY_CAP', 'WEEKLY_CAP', 'DAILY_CAP', 'MIN_GAP', 'QUIET_HOURS'];

/** Local midnight (Asia/Shanghai, no daylight saving) of the day `offset` days from `date`. */
const midnight = (date: string, offset = 0) => at(`${date}T00:00:00`) + offset * DAY;

/** A leader supervises every active member of their departments' subtrees but themselves. */
function teamOf(leader: string): string[] {
  const roots = DEPARTMENTS.filter((d) => d.leaders.includes(leader)).map((d) => d.id);
  const inTree = new Set<number>();
  const walk = (id: number) => {
    inTree.add(id);
    for (const d of DEPARTMENTS) if (d.parentId === id) walk(d.id);
  };
  roots.forEach(walk);
  return MEMBERS.filter((m) => m.userId !== leader && m.depts.some((d) => inTree.has(d))).map((m) => m.userId).sort();
}

interface RepFigures { newCustomers: number; lost: number; remindersDone: number; remindersOverdue: number; prevented: number; underServed: string[]; saturated: string[] }
interface Expected {
  reps: number;
  newByState: { state: string; count: number }[];
  lostByCustomer: string[]; lostByRep: string[]; highLost: string[];
  waiting: string[]; atRisk: string[]; dormant: string[];
  prevented: { reason: string; count: number }[];
  campaigns: { sent: number; deferred: number; capped: number };
  groupPosts: { sent: number; deferred: number; capped: number };
  remindersDone: number; remindersOverdue: number;
  byRep: Map<string, RepFigures>;
  kpis: Record<Kpi['key'], { value: number | null; prev7: number | null; prev30: number | null; daily: (number | null)[] }>;
  quiet: boolean;
}

function bruteForce(w: World, supervisor: string, date: string, asOf: number): Expected {
  const team = new Set(teamOf(supervisor));
  const start = midnight(date);
  const end = midnight(date, 1);
  const onD = (t: number | null) => t !== null && t >= start && t < end;
  const tierOf = (ext: string) => w.customers.find((c) => c.ext === ext)?.tier ?? FALLBACK_TIER;
  const cust = (ext: string) => w.customers.find((c) => c.ext === ext);
  // Owner: the rep of the earliest active relation, else of the relation that ended last.
  const ownerOf = (ext: string) => {
    const rows = w.follows.filter((f) => f.ext === ext);
    const act = rows.filter((f) => f.status === 'active').sort((a, b) => a.addedAt - b.addedAt);
    if (act.length) return act[0];
    return rows.sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))[0];
  };
  const exts = [...new Set(w.customers.map((c) => c.ext))];
  const owned = exts.map((ext) => ({ ext, o: ownerOf(ext) })).filter((x) => x.o && team.has(x.o.rep));
  const activeOwned = owned.filter((x) => x.o.status === 'active');
  const key = (rep: string, ext: string) => `${rep}:${ext}`;
  const rep = (r: string): RepFigures => {
    let f = byRep.get(r);
    if (!f) byRep.set(r, (f = { newCustomers: 0, lost: 0, remindersDone: 0, remindersOverdue: 0, prevented: 0, underServed: [], saturated: [] }));
    return f;
  };
  const byRep = new Map<string, RepFigures>();
  for (const r of team) rep(r);

  // New: adds on D, not 201/202, not within 24 h of a transfer of the same customer.
  const newByState = new Map<string, number>();
  const transfers = w.changes.filter((c) => c.kind === 'follow_ended' && c.endedBy === 'transfer');
  for (const c of w.changes) {
    if (c.kind !== 'follow_added' || !team.has(c.rep) || !onD(c.at)) continue;
    if (c.addWay === 201 || c.addWay === 202) continue;
    if (transfers.some((t) => t.ext === c.ext && Math.abs(t.at - c.at) <= DAY)) continue;
    const s = c.state ?? '无渠道码';
    newByState.set(s, (newByState.get(s) ?? 0) + 1);
    rep(c.rep).newCustomers++;
  }
  // Lost on D.
  const lostByCustomer: string[] = [];
  const lostByRep: string[] = [];
  const highLost: string[] = [];
  for (const c of w.changes) {
    if (c.kind !== 'follow_ended' || !team.has(c.rep) || !onD(c.at)) continue;
    if (c.endedBy !== 'customer_deleted' && c.endedBy !== 'rep_deleted') continue;
    (c.endedBy === 'customer_deleted' ? lostByCustomer : lostByRep).push(key(c.rep, c.ext));
    if (HIGH.has(tierOf(c.ext))) highLost.push(key(c.rep, c.ext));
    rep(c.rep).lost++;
  }
  // Current state at asOf.
  const waiting: string[] = [];
  const atRisk: string[] = [];
  const dormant: string[] = [];
  for (const { ext, o } of activeOwned) {
    const c = cust(ext);
    const tier = tierOf(ext);
    const facts = c?.facts ?? null;
    if (HIGH.has(tier)) {
      if (facts?.unansweredSince != null && asOf - facts.unansweredSince > (TARGET_MIN[tier] ?? 60) * 60_000) waiting.push(key(o.rep, ext));
      if (c?.stage === 'at_risk') atRisk.push(key(o.rep, ext));
      if (c?.stage === 'dormant') dormant.push(key(o.rep, ext));
      if (c?.stage !== 'lost') {
        const cares = [facts?.lastTouchAt ?? null, facts?.lastOutboundAt ?? null].filter((x): x is number => x !== null);
        const since = cares.length ? Math.max(...cares) : o.addedAt;
        if (asOf - since > (CADENCE[tier] ?? 30) * DAY) rep(o.rep).underServed.push(ext);
      }
    }
    if ((facts?.touches ?? 0) >= 3) rep(o.rep).saturated.push(ext);
  }
  // Reminders of the team's reps.
  for (const r of w.reminders) {
    if (!team.has(r.rep) || r.status === 'closed') continue;
    if (r.status === 'done' && onD(r.doneAt)) rep(r.rep).remindersDone++;
    if (r.status === 'open' && r.dueAt < end) rep(r.rep).remindersOverdue++;
  }
  // Prevented on D, once each under its first reason, under the customer's owner.
  const prevented = new Map<string, number>();
  for (const d of w.denials) {
    const o = ownerOf(d.ext);
    if (!onD(d.at) || !o || !team.has(o.rep)) continue;
    const reason = d.reasons.split(',')[0];
    prevented.set(reason, (prevented.get(reason) ?? 0) + 1);
    rep(o.rep).prevented++;
  }
  // Campaigns, under the recipient's owner.
  const campaigns = { sent: 0, deferred: 0, capped: 0 };
  for (const x of w.recipients) {
    const o = ownerOf(x.ext);
    if (!o || !team.has(o.rep)) continue;
    if (x.result === 'sent' && onD(x.resultAt)) campaigns.sent++;
    else if (x.decision === 'deferred' && onD(x.updatedAt)) campaigns.deferred++;
    else if (x.decision === 'excluded' && onD(x.updatedAt) && CAP.includes(x.reason ?? '')) campaigns.capped++;
  }
  // Group sends, under the group's owner.
  const groupPosts = { sent: 0, deferred: 0, capped: 0 };
  for (const g of w.groupSends) {
    if (g.owner === null || !team.has(g.owner)) continue;
    if (g.status === 'sent' && onD(g.resultAt)) groupPosts.sent++;
    else if ((g.status === 'over_quota' && onD(g.resultAt)) || (onD(g.occurrenceAt) && g.decision === 'skipped' && GROUP_CAP.includes(g.reason ?? ''))) groupPosts.capped++;
    else if (onD(g.occurrenceAt) && g.decision === 'moved') groupPosts.deferred++;
  }

  // KPIs per day d = D−30 … D.
  const days = Array.from({ length: 31 }, (_, i) => ({ s: midnight(date, i - 30), e: midnight(date, i - 29) }));
  const num = { retained: [] as number[], base: [] as number[], churn: [] as number[], rep: [] as number[], buy: [] as number[], ok: [] as number[], waits: [] as number[], done: [] as number[], due: [] as number[] };
  // Waits from each customer's 1:1 messages since local 00:00 of D−30 (KPIS.md: the range waits are read from).
  const waits: { at: number; rep: string; compliant: boolean; judged: boolean }[] = [];
  for (const ext of exts) {
    const ms = w.messages.filter((m) => m.ext === ext && m.chatId === null && m.at >= midnight(date, -30) && m.at <= asOf).sort((a, b) => a.at - b.at);
    const target = (TARGET_MIN[tierOf(ext)] ?? 60) * 60_000;
    let open: { at: number; rep: string | null } | null = null;
    const close = (reply: number | null) => {
      if (!open) return;
      const r = open.rep ?? ownerOf(ext)?.rep;
      if (r) waits.push({ at: open.at, rep: r, compliant: reply !== null && reply - open.at <= target, judged: reply !== null || open.at + target <= asOf });
      open = null;
    };
    for (const m of ms) {
      if (m.direction === 'in') open ??= { at: m.at, rep: m.rep };
      else close(m.at);
    }
    close(null);
  }
  for (const { s, e } of days) {
    const base = w.episodes.filter((x) => team.has(x.rep) && x.endedBy !== 'transfer' && x.endedBy !== 'sync' && x.addedAt < s && (x.endedAt === null || x.endedAt >= s)).length;
    const ended = w.changes.filter((c) => c.kind === 'follow_ended' && team.has(c.rep) && c.at >= s && c.at < e);
    const lost = ended.filter((c) => c.endedBy === 'customer_deleted' || c.endedBy === 'rep_deleted').length;
    num.base.push(base);
    num.retained.push(base - lost);
    num.churn.push(ended.filter((c) => c.endedBy === 'customer_deleted').length);
    let buyers = 0;
    let repeaters = 0;
    for (const { ext } of owned) {
      const n = w.orders.filter((o) => o.ext === ext && o.amount > 0 && o.paidAt < e && o.paidAt >= e - 90 * DAY).length;
      if (n >= 1) buyers++;
      if (n >= 2) repeaters++;
    }
    num.buy.push(buyers);
    num.rep.push(repeaters);
    const judged = waits.filter((x) => team.has(x.rep) && x.at >= s && x.at < e && x.judged);
    num.waits.push(judged.length);
    num.ok.push(judged.filter((x) => x.compliant).length);
    const due = w.reminders.filter((r) => team.has(r.rep) && r.status !== 'closed' && r.dueAt >= s && r.dueAt < e);
    num.due.push(due.length);
    num.done.push(due.filter((r) => r.doneAt !== null && r.doneAt < e).length);
  }
  const pooled = (n: number[], d: number[] | null, from: number, to: number): number | null => {
    const a = n.slice(from, to).reduce((x, y) => x + y, 0);
    if (!d) return a / (to - from);
    const b = d.slice(from, to).reduce((x, y) => x + y, 0);
    return b === 0 ? null : a / b;
  };
  const k = (n: number[], d: number[] | null) => ({
    value: pooled(n, d, 30, 31), prev7: pooled(n, d, 23, 30), prev30: pooled(n, d, 0, 30), daily: n.map((_, i) => pooled(n, d, i, i + 1)),
  });
  const out: Expected = {
    reps: team.size,
    newByState: [...newByState].map(([state, count]) => ({ state, count })).sort((a, b) => a.state.localeCompare(b.state)),
    lostByCustomer: lostByCustomer.sort(), lostByRep: lostByRep.sort(), highLost: highLost.sort(),
    waiting: waiting.sort(), atRisk: atRisk.sort(), dormant: dormant.sort(),
    prevented: [...prevented].map(([reason, count]) => ({ reason, count })).sort((a, b) => a.reason.localeCompare(b.reason)),
    campaigns, groupPosts,
    remindersDone: [...byRep.values()].reduce((a, r) => a + r.remindersDone, 0),
    remindersOverdue: [...byRep.values()].reduce((a, r) => a + r.remindersOverdue, 0),
    byRep,
    kpis: {
      retention: k(num.retained, num.base), churn: k(num.churn, null), repeatPurchase: k(num.rep, num.buy),
      responseCompliance: k(num.ok, num.waits), reminderCompletion: k(num.done, num.due),
    },
    quiet: false,
  };
  out.quiet = newByState.size === 0 && lostByCustomer.length + lostByRep.length + waiting.length + atRisk.length + dormant.length === 0
    && prevented.size === 0 && out.remindersDone + out.remindersOverdue === 0
    && Object.values(campaigns).every((x) => x === 0) && Object.values(groupPosts).every((x) => x === 0)
    && [...byRep.values()].every((r) => r.underServed.length + r.saturated.length === 0);
  return out;
}

/** The digest's own figures in the expected shape (lists as sorted sets of rep:customer). */
function observed(d: Digest) {
  const ids = (xs: { rep: string; externalUserId: string }[]) => xs.map((c) => `${c.rep}:${c.externalUserId}`).sort();
  return {
    reps: d.reps,
    newByState: [...d.newByState].sort((a, b) => a.state.localeCompare(b.state)),
    lostByCustomer: ids(d.lostByCustomer), lostByRep: ids(d.lostByRep),
    highLost: ids([...d.lostByCustomer, ...d.lostByRep].filter((c) => c.weight === 1)),
    waiting: ids(d.waiting), atRisk: ids(d.atRisk), dormant: ids(d.dormant),
    prevented: [...d.prevented].sort((a, b) => a.reason.localeCompare(b.reason)),
    campaigns: d.campaigns, groupPosts: d.groupPosts,
    remindersDone: d.remindersDone, remindersOverdue: d.remindersOverdue,
    quiet: d.quiet,
  };
}

const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) < 1e-9);

describe(`the digest against a brute-force recount (seed ${SEED})`, () => {
  let app: TestApp;
  const world = generateWorld();
  beforeAll(async () => {
    app = await startTestApp({ clock: manualClock(new Date(NOW)) });
    await seedOrg(app.services.db);
    await insertWorld(app.services.db, world);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should generate the edge cases the recount is about', () => {
    const ends = world.changes.filter((c) => c.kind === 'follow_ended');
    const nearMidnight = (t: number) => DATES.some((d) => Math.abs(t - midnight(d)) < 5 * 60_000 || Math.abs(t - midnight(d, 1)) < 5 * 60_000);
    expect(ends.some((c) => c.endedBy === 'transfer')).toBe(true);
    expect(ends.filter((c) => (c.endedBy === 'customer_deleted' || c.endedBy === 'rep_deleted') && nearMidnight(c.at)).length).toBeGreaterThanOrEqual(4);
    expect(world.changes.some((c) => c.kind === 'follow_added' && c.addWay === 1 && ends.some((t) => t.endedBy === 'transfer' && t.ext === c.ext && c.at - t.at > 0 && c.at - t.at <= DAY))).toBe(true);
    // Re-added after a deletion (two episodes of one relation).
    const pairs = new Map<string, number>();
    for (const e of world.episodes) pairs.set(e.rep + e.ext, (pairs.get(e.rep + e.ext) ?? 0) + 1);
    expect([...pairs.values()].some((n) => n > 1)).toBe(true);
    expect(world.reminders.some((r) => r.snoozes > 0) && world.orders.some((o) => o.amount <= 0)).toBe(true);
  });

  for (const date of DATES) {
    for (const supervisor of SUPERVISORS) {
      it(`should give ${supervisor} on ${date} every figure the recount gives`, async () => {
        const svc = digestServiceOf(app.services);
        const s = (await svc.supervisionOf(supervisor))!;
        expect(s.reps).toEqual(teamOf(supervisor));
        const d = await svc.digestOf(s, date, NOW);
        const want = bruteForce(world, supervisor, date, NOW);
        const { byRep, kpis, ...figures } = want;
        expect(observed(d)).toEqual(figures);
        for (const r of s.reps) {
          const got = d.byRep.find((x) => x.rep === r);
          const exp = byRep.get(r)!;
          expect({ rep: r, ...(got ? {
            newCustomers: got.newCustomers, lost: got.lost, remindersDone: got.remindersDone, remindersOverdue: got.remindersOverdue, prevented: got.prevented,
            underServed: got.underServed.map((c) => c.externalUserId).sort(), saturated: got.saturated.map((c) => c.externalUserId).sort(),
          } : { newCustomers: 0, lost: 0, remindersDone: 0, remindersOverdue: 0, prevented: 0, underServed: [], saturated: [] }) })
            .toEqual({ rep: r, ...exp, underServed: [...exp.underServed].sort(), saturated: [...exp.saturated].sort() });
        }
        for (const kpi of d.kpis) {
          const e = kpis[kpi.key];
          const pairs: [string, number | null, number | null][] = [['value', kpi.value, e.value], ['prev7', kpi.prev7, e.prev7], ['prev30', kpi.prev30, e.prev30],
            ...kpi.daily.map((v, i) => [`daily[${i}]`, v, e.daily[i]] as [string, number | null, number | null])];
          const wrong = pairs.filter(([, a, b]) => !close(a, b)).map(([n, a, b]) => `${kpi.key}.${n}: digest ${a}, recount ${b}`);
          expect(wrong).toEqual([]);
        }
        // The job's one read for everyone says the same.
        const all = await svc.books(date, NOW, null);
        expect(digestFor(s, all.books, date, all.known)).toEqual(d);
      });
    }
  }
});
