import type { Sql } from '../../src/db/database';

/**
 * A random but repeatable book for the digest's brute-force test (brute-force.test.ts): the
 * generator keeps every row it writes in plain arrays (the "raw rows"), including each relation's
 * whole history of episodes, so the test can recount every figure from them without the digest's
 * code. Seed: FENCUN_FUZZ_SEED, else a fixed one. Beijing time; NOW is the morning of 2026-03-03.
 */
export const SEED = Number(process.env.FENCUN_FUZZ_SEED ?? 20261202);
export const NOW = new Date('2026-03-03T08:30:00+08:00').getTime();
const MIN = 60_000;
const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const at = (local: string) => new Date(`${local}+08:00`).getTime();

/** Local days the generator crowds its events around (the test's dates and their neighbours). */
const HOT_DAYS = ['2026-02-19', '2026-02-20', '2026-02-21', '2026-02-28', '2026-03-01', '2026-03-02', '2026-03-03'];
const WINDOW_START = at('2026-01-05T00:00:00');
export const REPS = ['rep_a', 'rep_b', 'rep_c', 'rep_d', 'lead3'];
const TIERS = ['core', 'key', 'regular', 'potential'];
const STAGES = ['new', 'active', 'at_risk', 'dormant', 'lost'];
const STATES = ['store_qr', 'live_0302', 'ad_feb', null];
export const TARGET_MIN: Record<string, number> = { core: 30, key: 60, regular: 240, potential: 480 };
const DENIAL_REASONS = ['DAILY_CAP', 'WEEKLY_CAP', 'MIN_GAP', 'BACKOFF_PAUSED', 'QUIET_HOURS', 'COMPLAINT_OPEN'];
const CAMPAIGN_REASONS = ['DAILY_CAP', 'WEEKLY_CAP', 'MONTHLY_CAP', 'MIN_GAP', 'PLATFORM_QUOTA', 'SCHEDULE_FULL', 'BACKOFF_PAUSED', 'OPTED_OUT', 'RELATION_ENDED', 'QUIET_HOURS'];
const GROUP_REASONS = ['PLATFORM_QUOTA', 'MONTHLY_CAP', 'WEEKLY_CAP', 'DAILY_CAP', 'MIN_GAP', 'QUIET_HOURS', 'GROUP_NOT_FOUND', 'NO_OWNER', 'TOO_LATE', 'RELATION_ENDED'];

export interface Episode { rep: string; ext: string; addedAt: number; endedAt: number | null; endedBy: string | null; state: string | null; addWay: number }
export interface FollowRow { rep: string; ext: string; status: 'active' | 'ended'; addedAt: number; endedAt: number | null; endedBy: string | null; remark: string | null; state: string | null; addWay: number }
export interface ChangeRow { rep: string; ext: string; kind: 'follow_added' | 'follow_ended'; at: number; state: string | null; addWay: number | null; endedBy: string | null }
export interface CustomerRow { ext: string; name: string; tier: string | null; stage: string | null; facts: null | { unansweredSince: number | null; lastTouchAt: number | null; lastOutboundAt: number | null; touches: number } }
export interface MessageRow { ext: string; rep: string | null; direction: 'in' | 'out'; at: number; chatId: string | null }
export interface OrderRow { ext: string | null; amount: number; paidAt: number }
export interface ReminderRow { rep: string; ext: string; status: 'open' | 'done' | 'closed'; dueAt: number; doneAt: number | null; snoozes: number }
export interface DenialRow { ext: string; reasons: string; at: number }
export interface RecipientRow { campaignId: number; ext: string; decision: string; reason: string | null; result: string; resultAt: number | null; updatedAt: number }
export interface GroupSendRow { postId: number; chatId: string; owner: string | null; occurrenceAt: number; decision: string; status: string; reason: string | null; resultAt: number | null }

export interface World {
  episodes: Episode[];
  follows: FollowRow[];
  changes: ChangeRow[];
  customers: CustomerRow[];
  messages: MessageRow[];
  orders: OrderRow[];
  reminders: ReminderRow[];
  denials: DenialRow[];
  recipients: RecipientRow[];
  groupSends: GroupSendRow[];
}

/** mulberry32: small, fast and the same on every machine. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}

export function generateWorld(seed = SEED, customers = 80): World {
  const r = rng(seed);
  const w: World = { episodes: [], follows: [], changes: [], customers: [], messages: [], orders: [], reminders: [], denials: [], recipients: [], groupSends: [] };
  /** An instant: half the time near a local midnight of a hot day (± 3 min), else anywhere in the window. */
  const when = (): number => {
    let t: number;
    if (r.chance(0.5)) {
      const day = at(`${r.pick(HOT_DAYS)}T00:00:00`);
      t = r.chance(0.5) ? day + r.int(-3 * MIN, 3 * MIN) : day + r.int(0, DAY - 1);
    } else t = WINDOW_START + r.int(0, NOW - WINDOW_START - HOUR);
    // Nothing after the morning the digest is judged at.
    return t < NOW ? t : NOW - r.int(1, 6 * HOUR);
  };
  const clampNow = (t: number) => Math.min(t, NOW - 1000);
  const follows = new Map<string, FollowRow>();

  for (let n = 1; n <= customers; n++) {
    const ext = `x${String(n).padStart(3, '0')}`;
    const tierRoll = r.next();
    const tier = tierRoll < 0.2 ? null : r.pick(TIERS);
    const stage = tier === null ? null : r.pick(STAGES);
    const noRelation = r.chance(0.06);
    // Relation history: a first add, then a few changes in time order.
    const active = new Map<string, Episode>();
    const deleted = new Set<string>();
    const add = (rep: string, t: number, state: string | null, addWay: number) => {
      const e: Episode = { rep, ext, addedAt: t, endedAt: null, endedBy: null, state, addWay };
      w.episodes.push(e);
      active.set(rep, e);
      w.changes.push({ rep, ext, kind: 'follow_added', at: t, state, addWay, endedBy: null });
      const prev = follows.get(rep + '|' + ext);
      follows.set(rep + '|' + ext, { rep, ext, status: 'active', addedAt: t, endedAt: null, endedBy: null, remark: prev?.remark ?? (r.chance(0.3) ? `备注${n}` : null), state, addWay });
    };
    const end = (rep: string, t: number, endedBy: string) => {
      const e = active.get(rep)!;
      e.endedAt = t;
      e.endedBy = endedBy;
      active.delete(rep);
      if (endedBy === 'customer_deleted' || endedBy === 'rep_deleted') deleted.add(rep);
      w.changes.push({ rep, ext, kind: 'follow_ended', at: t, state: null, addWay: null, endedBy });
      Object.assign(follows.get(rep + '|' + ext)!, { status: 'ended', endedAt: t, endedBy });
    };
    let t = r.chance(0.35) ? at('2025-06-01T10:00:00') + r.int(0, 150) * DAY + r.int(0, DAY) : when() - r.int(0, 10) * DAY;
    if (!noRelation) {
      add(r.pick(REPS), t, r.pick(STATES), r.chance(0.1) ? r.pick([201, 202]) : 1);
      const steps = r.int(0, 4);
      for (let s = 0; s < steps; s++) {
        const next = r.chance(0.5) ? when() : t + r.int(MIN, 3 * DAY);
        if (next <= t + MIN || next >= NOW - HOUR) continue;
        t = next;
        const actives = [...active.keys()];
        const roll = r.next();
        if (actives.length && roll < 0.3) end(r.pick(actives), t, r.chance(0.6) ? 'customer_deleted' : 'rep_deleted');
        else if (roll < 0.45 && [...deleted].some((x) => !active.has(x))) add(r.pick([...deleted].filter((x) => !active.has(x))), t, r.pick(STATES), 1);
        else if (actives.length && roll < 0.7) {
          const from = r.pick(actives);
          const to = r.pick(REPS.filter((x) => !active.has(x)));
          if (!to) continue;
          end(from, t, 'transfer');
          // The inheritance's add: usually at once as 202, sometimes a later plain add (24 h rule).
          const later = r.chance(0.6) ? r.int(0, 5) * MIN : r.int(1, 30) * HOUR;
          t = clampNow(t + later + 1);
          add(to, t, r.chance(0.5) ? null : r.pick(STATES), r.chance(0.6) ? 202 : 1);
        } else if (actives.length && roll < 0.75) end(r.pick(actives), t, 'sync');
        else {
          const other = REPS.filter((x) => !active.has(x));
          if (other.length) add(r.pick(other), t, r.pick(STATES), r.chance(0.15) ? 201 : 1);
        }
      }
    }
    const myReps = [...new Set(w.episodes.filter((e) => e.ext === ext).map((e) => e.rep))];

    // 1:1 conversations: a run of inbound messages, answered around the tier's target or not at all.
    const target = TARGET_MIN[tier ?? 'potential'] * MIN;
    const msgs: MessageRow[] = [];
    // Archived 1:1 messages need a relation: a customer who never had one writes to nobody.
    const convs = myReps.length ? r.int(0, 6) : 0;
    for (let k = 0; k < convs; k++) {
      let m = when();
      const rep = r.pick(myReps);
      const to = r.chance(0.1) ? null : rep;
      const ins = r.int(1, 3);
      for (let i = 0; i < ins; i++) {
        if (m >= NOW) break;
        msgs.push({ ext, rep: to, direction: 'in', at: m, chatId: null });
        m += r.int(1, 9) * MIN;
      }
      if (r.chance(0.8)) {
        const first = msgs[msgs.length - 1].at;
        const reply = first + Math.round(target * r.pick([0.3, 0.99, 1, 1.02, 1.5, 4]));
        if (reply <= NOW) msgs.push({ ext, rep: r.chance(0.8) ? rep : r.pick(REPS), direction: 'out', at: reply, chatId: null });
      }
      if (r.chance(0.3)) msgs.push({ ext, rep, direction: 'out', at: when(), chatId: null });
      if (r.chance(0.15)) msgs.push({ ext, rep, direction: 'in', at: when(), chatId: 'wrgroup1' });
    }
    msgs.sort((a, b) => a.at - b.at);
    w.messages.push(...msgs);

    // Facts as the ingest keeps them (unanswered since the first inbound after the last outbound).
    let facts: CustomerRow['facts'] = null;
    if (r.chance(0.9)) {
      const oneToOne = msgs.filter((m) => m.chatId === null);
      const lastOut = [...oneToOne].reverse().find((m) => m.direction === 'out')?.at ?? null;
      const pendingIn = oneToOne.filter((m) => m.direction === 'in' && (lastOut === null || m.at > lastOut));
      facts = {
        unansweredSince: pendingIn.length ? pendingIn[0].at : null,
        lastTouchAt: r.chance(0.6) ? NOW - r.int(0, 60) * DAY - r.int(0, DAY) : null,
        lastOutboundAt: lastOut,
        touches: r.int(0, 5),
      };
    }
    w.customers.push({ ext, name: `客户${n}`, tier, stage, facts });

    // Orders in and around the 90-day windows, with refunds.
    const orders = r.int(0, 4);
    for (let k = 0; k < orders; k++) {
      const paidAt = r.chance(0.5) ? when() - r.int(0, 100) * DAY : at('2025-09-01T00:00:00') + r.int(0, 180 * DAY);
      w.orders.push({ ext, amount: r.chance(0.2) ? -r.int(1, 500) : r.chance(0.05) ? 0 : r.int(1, 2000), paidAt: Math.min(paidAt, NOW - MIN) });
    }

    // Reminders of the customer's reps: done (on time or late), open (overdue or snoozed past now), closed.
    for (const rep of myReps) {
      const count = r.int(0, 3);
      for (let k = 0; k < count; k++) {
        const dueAt = Math.min(when(), NOW - MIN);
        const roll = r.next();
        if (roll < 0.4) w.reminders.push({ rep, ext, status: 'done', dueAt, doneAt: clampNow(dueAt + r.int(-2 * HOUR, 30 * HOUR)), snoozes: 0 });
        else if (roll < 0.65) w.reminders.push({ rep, ext, status: 'open', dueAt, doneAt: null, snoozes: 0 });
        else if (roll < 0.85) w.reminders.push({ rep, ext, status: 'open', dueAt: NOW + r.int(1, 48) * HOUR, doneAt: null, snoozes: 1 });
        else w.reminders.push({ rep, ext, status: 'closed', dueAt, doneAt: null, snoozes: 0 });
      }
    }

    // Touches the pressure policy stopped, one row per cause.
    const denials = r.int(0, 3);
    for (let k = 0; k < denials; k++) {
      const reasons = Array.from({ length: r.int(1, 3) }, () => r.pick(DENIAL_REASONS));
      w.denials.push({ ext, reasons: [...new Set(reasons)].join(','), at: Math.min(when(), NOW - MIN) });
    }

    // Campaign recipients (a customer at most once per campaign).
    for (let c = 1; c <= 3; c++) {
      if (!r.chance(0.35)) continue;
      const decided = Math.min(when(), NOW - MIN);
      const decision = r.pick(['admitted', 'deferred', 'excluded']);
      const reason = decision === 'admitted' ? null : r.pick(CAMPAIGN_REASONS);
      const result = decision === 'excluded' ? 'excluded' : r.pick(['sent', 'pending', 'failed']);
      const resultAt = result === 'sent' || result === 'failed' ? clampNow(decided + r.int(0, 20) * HOUR) : null;
      w.recipients.push({ campaignId: c, ext, decision, reason, result, resultAt, updatedAt: resultAt ?? decided });
    }
  }

  // Group sends, owned by a rep (or by nobody).
  for (let p = 1; p <= 40; p++) {
    const occurrenceAt = Math.min(when(), NOW - MIN);
    const decision = r.pick(['send', 'moved', 'skipped']);
    const status = decision === 'skipped' ? 'skipped' : r.pick(['sent', 'planned', 'over_quota']);
    const resultAt = status === 'sent' || status === 'over_quota' ? clampNow(occurrenceAt + r.int(0, 30) * HOUR) : null;
    w.groupSends.push({ postId: p, chatId: `wrg${r.int(1, 5)}`, owner: r.chance(0.1) ? null : r.pick(REPS), occurrenceAt, decision, status, reason: decision === 'send' ? null : r.pick(GROUP_REASONS), resultAt });
  }
  // Scripted edge cases on top of the random ones (the list), each a relation history.
  const scripted = (ext: string, tier: string, steps: ({ add: string; at: number; addWay?: number; state?: string } | { end: string; at: number; by: string })[]) => {
    w.customers.push({ ext, name: ext, tier, stage: 'active', facts: null });
    for (const s of steps) {
      if ('add' in s) {
        const e: Episode = { rep: s.add, ext, addedAt: s.at, endedAt: null, endedBy: null, state: s.state ?? null, addWay: s.addWay ?? 1 };
        w.episodes.push(e);
        w.changes.push({ rep: s.add, ext, kind: 'follow_added', at: s.at, state: e.state, addWay: e.addWay, endedBy: null });
        follows.set(s.add + '|' + ext, { rep: s.add, ext, status: 'active', addedAt: s.at, endedAt: null, endedBy: null, remark: null, state: e.state, addWay: e.addWay });
      } else {
        const e = w.episodes.filter((x) => x.ext === ext && x.rep === s.end && x.endedAt === null)[0];
        Object.assign(e, { endedAt: s.at, endedBy: s.by });
        w.changes.push({ rep: s.end, ext, kind: 'follow_ended', at: s.at, state: null, addWay: null, endedBy: s.by });
        Object.assign(follows.get(s.end + '|' + ext)!, { status: 'ended', endedAt: s.at, endedBy: s.by });
      }
    }
  };
  const long = at('2025-06-01T10:00:00');
  scripted('e2359', 'core', [{ add: 'rep_a', at: long }, { end: 'rep_a', at: at('2026-03-02T23:59:00'), by: 'customer_deleted' }]);
  scripted('e0001', 'key', [{ add: 'rep_a', at: long + 1 }, { end: 'rep_a', at: at('2026-03-03T00:01:00'), by: 'customer_deleted' }]);
  scripted('e0220', 'core', [{ add: 'rep_d', at: long }, { end: 'rep_d', at: at('2026-02-20T23:59:59') + 999, by: 'rep_deleted' }]);
  scripted('e0221', 'regular', [{ add: 'rep_c', at: long }, { end: 'rep_c', at: at('2026-02-21T00:00:00'), by: 'customer_deleted' }]);
  scripted('ereadd', 'key', [{ add: 'rep_b', at: long }, { end: 'rep_b', at: at('2026-03-02T09:00:00'), by: 'customer_deleted' }, { add: 'rep_b', at: at('2026-03-02T15:00:00'), state: 'store_qr' }]);
  scripted('ereadd2', 'regular', [{ add: 'rep_b', at: at('2026-02-10T10:00:00') }, { end: 'rep_b', at: at('2026-02-12T09:00:00'), by: 'customer_deleted' },
    { add: 'rep_b', at: at('2026-02-15T09:00:00') }, { end: 'rep_b', at: at('2026-02-25T09:00:00'), by: 'rep_deleted' }, { add: 'rep_b', at: at('2026-02-26T09:00:00') }]);
  scripted('elater', 'core', [{ add: 'rep_c', at: long }, { end: 'rep_c', at: at('2026-02-24T09:00:00'), by: 'customer_deleted' }, { add: 'rep_c', at: at('2026-02-25T09:00:00') }]);
  scripted('etransfer', 'core', [{ add: 'rep_b', at: long }, { end: 'rep_b', at: at('2026-03-02T10:00:00'), by: 'transfer' }, { add: 'rep_a', at: at('2026-03-02T12:00:00'), state: 'store_qr' }]);
  scripted('etransfer202', 'key', [{ add: 'rep_d', at: long }, { end: 'rep_d', at: at('2026-03-01T23:59:00'), by: 'transfer' }, { add: 'lead3', at: at('2026-03-02T00:01:00'), addWay: 202 }]);

  // Orders nobody can own: a customer with no relation and an order with no customer.
  w.orders.push({ ext: null, amount: 100, paidAt: at('2026-03-02T10:00:00') });
  w.follows = [...follows.values()];
  return w;
}

/** Writes the world with the same SQL as test/digest/world.ts (the tables the digest reads). */
export async function insertWorld(db: Sql, w: World): Promise<void> {
  for (const c of w.customers) {
    await db.exec('INSERT INTO external_contacts (external_user_id, name, created_at, updated_at) VALUES (?,?,?,?)', [c.ext, c.name, 0, 0]);
    if (c.tier !== null) {
      await db.exec("INSERT INTO customer_tiers (external_user_id, tier, scored_tier, score, reasons, override, stage, stage_signals, computed_at) VALUES (?,?,?,0,'[]',NULL,?,'[]',0)",
        [c.ext, c.tier, c.tier, c.stage]);
    }
    if (c.facts) {
      await db.exec('INSERT INTO customer_facts (external_user_id, unanswered_since, last_touch_at, last_outbound_at, touches_since_inbound, updated_at) VALUES (?,?,?,?,?,0)',
        [c.ext, c.facts.unansweredSince, c.facts.lastTouchAt, c.facts.lastOutboundAt, c.facts.touches]);
    }
  }
  for (const f of w.follows) {
    await db.exec(`INSERT INTO follows (user_id, external_user_id, status, remark, add_way, state, added_at, ended_at, ended_by, last_event_at, created_at, updated_at)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, [f.rep, f.ext, f.status, f.remark, f.addWay, f.state, f.addedAt, f.endedAt, f.endedBy, 0, 0, 0]);
  }
  let n = 0;
  for (const c of w.changes) {
    const detail = c.kind === 'follow_added' ? { state: c.state, addWay: c.addWay } : { endedBy: c.endedBy };
    await db.exec('INSERT INTO customer_changes (external_user_id, user_id, kind, detail, at, dedupe_key, created_at) VALUES (?,?,?,?,?,?,?)',
      [c.ext, c.rep, c.kind, JSON.stringify(detail), c.at, `bf:${++n}`, 0]);
  }
  for (const m of w.messages) {
    await db.exec("INSERT INTO messages (msgid, channel, direction, msg_type, external_user_id, user_id, chat_id, text, msg_time, created_at) VALUES (?,'archive',?,'text',?,?,?,'…',?,0)",
      [`bf-${++n}`, m.direction, m.ext, m.rep, m.chatId, m.at]);
  }
  for (const o of w.orders) {
    await db.exec("INSERT INTO orders (external_order_id, external_user_id, amount, paid_at, source, created_at, updated_at) VALUES (?,?,?,?,'api',0,0)",
      [`bf-o${++n}`, o.ext, o.amount, o.paidAt]);
  }
  for (const x of w.reminders) {
    await db.exec(`INSERT INTO reminders (external_user_id, user_id, kind, rule_key, title, message, due_at, status, snoozes, done_at, created_at, updated_at)
      VALUES (?,?,'revisit',?,'回访',NULL,?,?,?,?,0,0)`, [x.ext, x.rep, `bf:${++n}`, x.dueAt, x.status, x.snoozes, x.doneAt]);
  }
  for (const d of w.denials) {
    await db.exec("INSERT INTO pressure_denials (external_user_id, category, reasons, ref_kind, ref_id, cause_key, at) VALUES (?,'marketing',?,'campaign','1',?,?)",
      [d.ext, d.reasons, `bf:${++n}`, d.at]);
  }
  for (const x of w.recipients) {
    await db.exec(`INSERT INTO campaign_recipients (campaign_id, external_user_id, decision, reason, explanation, sender, route, batch_no, send_at, result, result_at, updated_at)
      VALUES (?,?,?,?,'',NULL,NULL,NULL,NULL,?,?,?)`, [x.campaignId, x.ext, x.decision, x.reason, x.result, x.resultAt, x.updatedAt]);
  }
  for (const g of w.groupSends) {
    await db.exec(`INSERT INTO group_post_sends (post_id, occurrence_at, chat_id, owner_user_id, decision, planned_at, reason, explanation, status, outbox_key, outbox_id, msgid, result_at, decided_at, updated_at)
      VALUES (?,?,?,?,?,?,?,'',?,NULL,NULL,NULL,?,0,0)`, [g.postId, g.occurrenceAt, g.chatId, g.owner, g.decision, g.decision === 'skipped' ? null : g.occurrenceAt, g.reason, g.status, g.resultAt]);
  }
}
