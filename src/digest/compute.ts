import { ZoneCalendar, DAY_MS } from '../policy/zone-calendar';

/**
 * What a supervisor's digest says, from data and the local day (pure: no clock, no database).
 *
 * The book is computed once per rep (bookByRep), then each team's digest sums its reps
 * (digestFor): a figure is a count or a numerator/denominator pair, so a team's rate is its reps'
 * numerators over their denominators, never an average of rates. Each customer is owned by one
 * rep (their earliest active relation, else the relation that ended last), so nothing is counted
 * twice in a team.
 *
 * KPIs, per local day d in FENCUN_TIMEZONE (trend: day D against the pooled previous 7 and 30 days):
 * - retention: 1 − relations lost on d (the customer deleted the rep, or the rep deleted the
 *   customer) / relations active at the start of d. Transfers (在职继承) and relations the
 *   reconcile found gone without an event are neither lost nor kept.
 * - churn: relations the customer ended (deleted their rep) on d.
 * - repeat purchase: owned customers with ≥ 2 orders in the 90 days ending at the end of d / those
 *   with ≥ 1.
 * - response compliance: customer waits (the first 1:1 message after the corp last spoke) that
 *   started on d and were answered within the tier's response target / those judged (answered, or
 *   past their target by `asOf`).
 * - reminder completion: reminders due on d done by the end of d / reminders due on d (closed ones,
 *   whose relation ended, are left out).
 */

export interface DigestPolicy {
  timeZone: string;
  highValueTiers: string[];
  fallbackTier: string;
  tierLabels: Record<string, string>;
  responseTargetMinutes: Record<string, number>;
  cadenceDays: Record<string, number>;
  /** Proactive touches in a row without an answer that make the next one pressure. */
  saturatedAfter: number;
}

export interface FollowFact {
  userId: string;
  externalUserId: string;
  status: string;
  addedAt: number | null;
  endedAt: number | null;
  endedBy: string | null;
  remark: string | null;
}

export interface ChangeFact {
  userId: string;
  externalUserId: string;
  kind: 'follow_added' | 'follow_ended';
  at: number;
  state: string | null;
  addWay: number | null;
  endedBy: string | null;
}

export interface CustomerFact {
  /** '' from the repository: names are read afterwards for the listed customers only (nameListed). */
  name: string;
  tier: string | null;
  stage: string | null;
  unansweredSince: number | null;
  lastCareAt: number | null;
  touchesSinceInbound: number;
}

export interface MessageFact {
  externalUserId: string;
  userId: string | null;
  inbound: boolean;
  at: number;
}

export interface ReminderFact {
  userId: string;
  status: string;
  dueAt: number;
  doneAt: number | null;
}

export interface DenialFact {
  externalUserId: string;
  reason: string;
}

export interface CampaignFact {
  externalUserId: string;
  outcome: 'sent' | 'deferred' | 'capped';
}

/** One group send of a group post (group_post_sends), under the group owner who sends it. */
export interface GroupPostFact {
  owner: string;
  outcome: 'sent' | 'deferred' | 'capped';
}

export interface OutcomeCounts {
  sent: number;
  deferred: number;
  capped: number;
}

/** Everything the digest of local day D reads; loaded by the repository for [rangeStart, asOf]. */
export interface DigestData {
  members: Map<string, string>;
  follows: FollowFact[];
  /** Follow changes from the trend range's start on (also after D: see the re-add in bookByRep). */
  changes: ChangeFact[];
  customers: Map<string, CustomerFact>;
  /** Paid orders (time, customer) from 90 days before the range on. */
  orders: { externalUserId: string; paidAt: number }[];
  /** 1:1 messages from the range start to asOf, sorted by customer then time. */
  messages: MessageFact[];
  reminders: ReminderFact[];
  /** Touches the pressure policy stopped on day D, one per prevented touch. */
  denials: DenialFact[];
  /** Campaign recipients decided for day D; null when there are no campaigns tables. */
  campaigns: CampaignFact[] | null;
  /** Group sends of day D; null when there are no group-content tables. */
  groupPosts: GroupPostFact[] | null;
}

/** The trend range: day D and the 30 days before it. */
export const TREND_DAYS = 30;
const REPEAT_WINDOW_MS = 90 * DAY_MS;

export interface DayRange {
  /** Local day number of D. */
  day: number;
  /** ISO local date of D, e.g. 2026-03-02. */
  date: string;
  dayStart: number;
  dayEnd: number;
  /** Start of D − 30 (the range the trends read). */
  rangeStart: number;
  /** Starts of each day D−30 … D and the end of D (32 instants). */
  starts: number[];
}

/** A real calendar date written YYYY-MM-DD (2026-02-30 is not one, though Date.parse rolls it over). */
export function isCalendarDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const t = Date.parse(date + 'T00:00:00Z');
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === date;
}

export function dayRange(date: string, timeZone: string): DayRange {
  if (!isCalendarDate(date)) throw new Error(`"${date}" is not a date such as 2026-03-02`);
  const cal = new ZoneCalendar(timeZone);
  const day = Math.floor(Date.parse(date + 'T00:00:00Z') / DAY_MS);
  const starts: number[] = [];
  for (let d = day - TREND_DAYS; d <= day + 1; d++) starts.push(cal.instantOnLocalDay(d, 0));
  return { day, date, dayStart: starts[TREND_DAYS], dayEnd: starts[TREND_DAYS + 1], rangeStart: starts[0], starts };
}

/** The local day before the one `at` falls on (the digest sent at 08:30 is about yesterday). */
export function previousLocalDate(at: number, timeZone: string): string {
  const day = new ZoneCalendar(timeZone).localDay(at) - 1;
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export interface NamedCustomer {
  externalUserId: string;
  /** WeCom name, with the rep's remark marked as such (internal: the digest goes to a supervisor). */
  label: string;
  /** The rep's remark on this customer (internal). */
  remark: string | null;
  tier: string | null;
  rep: string;
  /** What makes them listed, e.g. "等待 2 小时 10 分（目标 30 分钟）". */
  note: string;
  /** For ordering: larger first. */
  weight: number;
}

/** Per-day numerators and denominators, index 0 = D−30 … 30 = D. */
export interface DailySeries {
  base: number[];
  lost: number[];
  churn: number[];
  buyers: number[];
  repeaters: number[];
  waits: number[];
  compliant: number[];
  due: number[];
  doneOnTime: number[];
}

export interface RepBook {
  rep: string;
  name: string;
  newByState: Record<string, number>;
  lostByCustomer: NamedCustomer[];
  lostByRep: NamedCustomer[];
  waiting: NamedCustomer[];
  atRisk: NamedCustomer[];
  dormant: NamedCustomer[];
  underServed: NamedCustomer[];
  saturated: NamedCustomer[];
  remindersDone: number;
  remindersOverdue: number;
  prevented: Record<string, number>;
  campaigns: OutcomeCounts;
  groupPosts: OutcomeCounts;
  series: DailySeries;
}

const emptySeries = (): DailySeries => {
  const z = () => new Array<number>(TREND_DAYS + 1).fill(0);
  return { base: z(), lost: z(), churn: z(), buyers: z(), repeaters: z(), waits: z(), compliant: z(), due: z(), doneOnTime: z() };
};

/** Assignment by an admin (201 internal share, 202 assigned) or a transfer: not a new customer. */
const ASSIGNED_ADD_WAYS = new Set([201, 202]);

export function customerLabel(name: string, remark: string | null): string {
  const n = name || '（未命名客户）';
  return remark && remark !== name ? `${n}（备注：${remark}）` : n;
}

function minutesText(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} 分钟`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} 小时 ${m % 60} 分` : `${h} 小时`;
  return `${Math.floor(h / 24)} 天`;
}

/** Every rep's book for day D; `asOf` is the instant the current-state lists are judged at. */
export function bookByRep(data: DigestData, range: DayRange, asOf: number, policy: DigestPolicy): Map<string, RepBook> {
  const books = new Map<string, RepBook>();
  const bookOf = (rep: string): RepBook => {
    let b = books.get(rep);
    if (!b) {
      books.set(rep, (b = {
        rep, name: data.members.get(rep) ?? rep, newByState: {}, lostByCustomer: [], lostByRep: [], waiting: [], atRisk: [], dormant: [],
        underServed: [], saturated: [], remindersDone: 0, remindersOverdue: 0, prevented: {}, campaigns: { sent: 0, deferred: 0, capped: 0 },
        groupPosts: { sent: 0, deferred: 0, capped: 0 }, series: emptySeries(),
      }));
    }
    return b;
  };
  const { starts, dayStart, dayEnd } = range;
  /** How many of starts[0 … TREND_DAYS] are <= at (binary search: called per message and relation). */
  const startsUpTo = (at: number): number => {
    let lo = 0;
    let hi = TREND_DAYS + 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const dayIndex = (at: number): number => (at < starts[0] || at >= starts[TREND_DAYS + 1] ? -1 : startsUpTo(at) - 1);
  const tierOf = (id: string) => data.customers.get(id)?.tier ?? policy.fallbackTier;
  const high = new Set(policy.highValueTiers);

  // The owning rep of each customer, and each relation (for its remark and a re-add).
  const owner = new Map<string, FollowFact>();
  const rows = new Map<string, FollowFact>();
  for (const f of data.follows) {
    rows.set(f.userId + '|' + f.externalUserId, f);
    const cur = owner.get(f.externalUserId);
    const better = !cur
      || (f.status === 'active' && cur.status !== 'active')
      || (f.status === cur.status && (f.status === 'active' ? (f.addedAt ?? 0) < (cur.addedAt ?? 0) : (f.endedAt ?? 0) > (cur.endedAt ?? 0)));
    if (better) owner.set(f.externalUserId, f);
  }
  const named = (id: string, rep: string, note: string, weight: number): NamedCustomer => {
    const c = data.customers.get(id);
    const remark = rows.get(rep + '|' + id)?.remark ?? null;
    return { externalUserId: id, label: customerLabel(c?.name ?? '', remark), remark, tier: c?.tier ?? null, rep, note, weight };
  };

  // Relations active at the start of each day (retention's denominator): day starts s with
  // addedAt < s <= endedAt are a run of days, counted as +1/−1 at its ends and summed after.
  const baseDiff = new Map<string, number[]>();
  for (const f of data.follows) {
    if (f.addedAt === null || f.endedBy === 'transfer' || f.endedBy === 'sync' || (f.status === 'ended' && f.endedAt === null)) continue;
    const from = startsUpTo(f.addedAt);
    const to = f.endedAt === null ? TREND_DAYS + 1 : Math.min(TREND_DAYS + 1, startsUpTo(f.endedAt));
    if (from >= to) continue;
    let d = baseDiff.get(f.userId);
    if (!d) baseDiff.set(f.userId, (d = new Array<number>(TREND_DAYS + 2).fill(0)));
    d[from]++;
    d[to]--;
  }
  for (const [rep, d] of baseDiff) {
    const s = bookOf(rep).series.base;
    for (let i = 0, run = 0; i <= TREND_DAYS; i++) s[i] += run += d[i];
  }

  // A relation ended and added again since: its row only knows the re-add, its loss knows it was there before.
  // That earlier episode began at the relation's last add before the loss when the range saw one
  // (else before the range): without it, an episode added, deleted and re-added within the 30 days
  // counted as active from D−30 on, and a second loss counted the first episode's days again
  // (found by test/digest/brute-force.test.ts).
  const addsOf = new Map<string, number[]>();
  for (const c of data.changes) {
    if (c.kind !== 'follow_added') continue;
    const k = c.userId + '|' + c.externalUserId;
    const xs = addsOf.get(k);
    if (xs) xs.push(c.at);
    else addsOf.set(k, [c.at]);
  }
  for (const c of data.changes) {
    if (c.kind !== 'follow_ended' || (c.endedBy !== 'customer_deleted' && c.endedBy !== 'rep_deleted')) continue;
    const k = c.userId + '|' + c.externalUserId;
    const f = rows.get(k);
    if (!f || f.addedAt === null || f.addedAt <= c.at) continue;
    const began = (addsOf.get(k) ?? []).filter((t) => t < c.at).reduce((a, t) => Math.max(a, t), -Infinity);
    const s = bookOf(c.userId).series.base;
    for (let i = 0; i <= TREND_DAYS; i++) if (starts[i] <= c.at && !(f.addedAt < starts[i]) && began < starts[i]) s[i]++;
  }

  // New and lost, from the change history (a re-add after a deletion is both: lost that day, new again).
  const transfers = data.changes.filter((c) => c.kind === 'follow_ended' && c.endedBy === 'transfer');
  const transferredNear = (c: ChangeFact) => transfers.some((t) => t.externalUserId === c.externalUserId && Math.abs(t.at - c.at) <= DAY_MS);
  for (const c of data.changes) {
    const i = dayIndex(c.at);
    if (i < 0) continue;
    const b = bookOf(c.userId);
    if (c.kind === 'follow_added') {
      if (i !== TREND_DAYS || (c.addWay !== null && ASSIGNED_ADD_WAYS.has(c.addWay)) || transferredNear(c)) continue;
      const state = c.state || '无渠道码';
      b.newByState[state] = (b.newByState[state] ?? 0) + 1;
    } else if (c.endedBy === 'customer_deleted' || c.endedBy === 'rep_deleted') {
      b.series.lost[i]++;
      if (c.endedBy === 'customer_deleted') b.series.churn[i]++;
      if (i === TREND_DAYS) {
        const tier = tierOf(c.externalUserId);
        const n = named(c.externalUserId, c.userId, high.has(tier) ? `${policy.tierLabels[tier] ?? tier}客户` : policy.tierLabels[tier] ?? tier, high.has(tier) ? 1 : 0);
        (c.endedBy === 'customer_deleted' ? b.lostByCustomer : b.lostByRep).push(n);
      }
    }
  }

  // Repeat purchase, rolling 90 days, by owner.
  const ordersBy = new Map<string, number[]>();
  for (const o of data.orders) {
    const times = ordersBy.get(o.externalUserId);
    if (times) times.push(o.paidAt);
    else ordersBy.set(o.externalUserId, [o.paidAt]);
  }
  for (const [id, times] of ordersBy) {
    const o = owner.get(id);
    if (!o) continue;
    times.sort((a, b) => a - b);
    const s = bookOf(o.userId).series;
    for (let i = 0; i <= TREND_DAYS; i++) {
      const end = starts[i + 1];
      let n = 0;
      for (const t of times) if (t < end && t >= end - REPEAT_WINDOW_MS) n++;
      if (n >= 1) s.buyers[i]++;
      if (n >= 2) s.repeaters[i]++;
    }
  }

  // Response waits: the first inbound after the corp last spoke opens one; the next outbound closes it.
  let k = 0;
  while (k < data.messages.length) {
    const id = data.messages[k].externalUserId;
    const target = (policy.responseTargetMinutes[tierOf(id)] ?? policy.responseTargetMinutes[policy.fallbackTier] ?? 60) * 60_000;
    let open: { at: number; rep: string | null } | null = null;
    const judge = (repliedAt: number | null) => {
      if (!open) return;
      const i = dayIndex(open.at);
      const rep = open.rep ?? owner.get(id)?.userId;
      if (i >= 0 && rep && (repliedAt !== null || open.at + target <= asOf)) {
        const s = bookOf(rep).series;
        s.waits[i]++;
        if (repliedAt !== null && repliedAt - open.at <= target) s.compliant[i]++;
      }
      open = null;
    };
    for (; k < data.messages.length && data.messages[k].externalUserId === id; k++) {
      const m = data.messages[k];
      if (m.inbound) open ??= { at: m.at, rep: m.userId };
      else judge(m.at);
    }
    judge(null);
  }

  // Reminders: completion per due day; done yesterday and overdue now per rep.
  for (const r of data.reminders) {
    if (r.status === 'closed') continue;
    const b = bookOf(r.userId);
    const i = dayIndex(r.dueAt);
    if (i >= 0) {
      b.series.due[i]++;
      if (r.doneAt !== null && r.doneAt < starts[i + 1]) b.series.doneOnTime[i]++;
    }
    if (r.doneAt !== null && r.doneAt >= dayStart && r.doneAt < dayEnd) b.remindersDone++;
    if (r.status === 'open' && r.dueAt < dayEnd) b.remindersOverdue++;
  }

  for (const d of data.denials) {
    const o = owner.get(d.externalUserId);
    if (!o) continue;
    const p = bookOf(o.userId).prevented;
    p[d.reason] = (p[d.reason] ?? 0) + 1;
  }
  for (const c of data.campaigns ?? []) {
    const o = owner.get(c.externalUserId);
    if (o) bookOf(o.userId).campaigns[c.outcome]++;
  }
  for (const g of data.groupPosts ?? []) bookOf(g.owner).groupPosts[g.outcome]++;

  // Current state of each owned, active customer.
  for (const [id, f] of owner) {
    if (f.status !== 'active') continue;
    const c = data.customers.get(id);
    const tier = tierOf(id);
    const isHigh = high.has(tier);
    const b = bookOf(f.userId);
    const label = policy.tierLabels[tier] ?? tier;
    if (c && isHigh && c.unansweredSince !== null) {
      const target = (policy.responseTargetMinutes[tier] ?? 60) * 60_000;
      const waited = asOf - c.unansweredSince;
      if (waited > target) b.waiting.push(named(id, f.userId, `已等 ${minutesText(waited)}（${label}目标 ${minutesText(target)}）`, waited));
    }
    if (c && isHigh && c.stage === 'at_risk') b.atRisk.push(named(id, f.userId, `${label}·流失风险`, c.lastCareAt === null ? Infinity : asOf - c.lastCareAt));
    if (c && isHigh && c.stage === 'dormant') b.dormant.push(named(id, f.userId, `${label}·沉睡`, c.lastCareAt === null ? Infinity : asOf - c.lastCareAt));
    if (isHigh && c?.stage !== 'lost') {
      const cadence = (policy.cadenceDays[tier] ?? 30) * DAY_MS;
      const since = c?.lastCareAt ?? f.addedAt;
      if (since !== null && asOf - since > cadence) {
        b.underServed.push(named(id, f.userId, c?.lastCareAt ? `${Math.floor((asOf - since) / DAY_MS)} 天未联系（${label}应每 ${policy.cadenceDays[tier]} 天）` : `加好友后一直未联系（${label}应每 ${policy.cadenceDays[tier]} 天）`, asOf - since));
      }
    }
    if (c && c.touchesSinceInbound >= policy.saturatedAfter) {
      b.saturated.push(named(id, f.userId, `连续 ${c.touchesSinceInbound} 次主动联系未回复`, c.touchesSinceInbound));
    }
  }
  return books;
}

const LISTS = ['lostByCustomer', 'lostByRep', 'waiting', 'atRisk', 'dormant', 'underServed', 'saturated'] as const;

/** Every customer a book names: only they need their WeCom name read (a few hundred of 100k). */
export function listedIds(books: Map<string, RepBook>): string[] {
  const ids = new Set<string>();
  for (const b of books.values()) for (const l of LISTS) for (const c of b[l]) ids.add(c.externalUserId);
  return [...ids];
}

/** Labels the named customers with their WeCom names, read after the book (see listedIds). */
export function nameListed(books: Map<string, RepBook>, names: Map<string, string>): void {
  for (const b of books.values()) for (const l of LISTS) for (const c of b[l]) c.label = customerLabel(names.get(c.externalUserId) ?? '', c.remark);
}

export interface Kpi {
  key: 'retention' | 'churn' | 'repeatPurchase' | 'responseCompliance' | 'reminderCompletion';
  label: string;
  unit: 'rate' | 'count';
  /** Day D; null when the denominator is 0. */
  value: number | null;
  prev7: number | null;
  prev30: number | null;
  /** Daily values D−30 … D, for the chart. */
  daily: (number | null)[];
}

export interface RepRow {
  rep: string;
  name: string;
  newCustomers: number;
  lost: number;
  remindersDone: number;
  remindersOverdue: number;
  prevented: number;
  underServed: NamedCustomer[];
  saturated: NamedCustomer[];
}

export interface Digest {
  supervisor: string;
  supervisorName: string;
  scope: 'team' | 'corp';
  date: string;
  reps: number;
  newByState: { state: string; count: number }[];
  newTotal: number;
  lostByCustomer: NamedCustomer[];
  lostByRep: NamedCustomer[];
  waiting: NamedCustomer[];
  atRisk: NamedCustomer[];
  dormant: NamedCustomer[];
  prevented: { reason: string; count: number }[];
  preventedTotal: number;
  campaigns: OutcomeCounts | null;
  /** Group posts to customer groups, counted in groups; null when the tables are not there. */
  groupPosts: OutcomeCounts | null;
  remindersDone: number;
  remindersOverdue: number;
  byRep: RepRow[];
  kpis: Kpi[];
  /** Nothing happened and nothing needs attention: the message says so in a line or two. */
  quiet: boolean;
}

const byWeight = (a: NamedCustomer, b: NamedCustomer) => b.weight - a.weight || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
const sum = (xs: number[], from: number, to: number) => xs.slice(from, to).reduce((a, b) => a + b, 0);

function kpi(key: Kpi['key'], label: string, unit: Kpi['unit'], num: number[], den: number[] | null): Kpi {
  const at = (from: number, to: number): number | null => {
    if (!den) return sum(num, from, to) / (to - from);
    const d = sum(den, from, to);
    return d === 0 ? null : sum(num, from, to) / d;
  };
  const daily = num.map((_, i) => at(i, i + 1));
  return { key, label, unit, value: at(TREND_DAYS, TREND_DAYS + 1), prev7: at(TREND_DAYS - 7, TREND_DAYS), prev30: at(0, TREND_DAYS), daily };
}

/** Which optional sections the schema has (campaigns and group content are later tables). */
export interface SectionsKnown {
  campaigns: boolean;
  groupPosts: boolean;
}

/** The digest of one supervisor's team (their reps' books summed). */
export function digestFor(s: { userId: string; name: string; scope: 'team' | 'corp'; reps: string[] }, books: Map<string, RepBook>, date: string, known: SectionsKnown): Digest {
  const mine = s.reps.map((r) => books.get(r)).filter((b): b is RepBook => !!b);
  const total = emptySeries();
  for (const b of mine) for (const k of Object.keys(total) as (keyof DailySeries)[]) b.series[k].forEach((v, i) => (total[k][i] += v));
  const newByState = new Map<string, number>();
  const prevented = new Map<string, number>();
  const campaigns = { sent: 0, deferred: 0, capped: 0 };
  const groupPosts = { sent: 0, deferred: 0, capped: 0 };
  for (const b of mine) {
    for (const [k, v] of Object.entries(b.newByState)) newByState.set(k, (newByState.get(k) ?? 0) + v);
    for (const [k, v] of Object.entries(b.prevented)) prevented.set(k, (prevented.get(k) ?? 0) + v);
    campaigns.sent += b.campaigns.sent;
    campaigns.deferred += b.campaigns.deferred;
    campaigns.capped += b.campaigns.capped;
    groupPosts.sent += b.groupPosts.sent;
    groupPosts.deferred += b.groupPosts.deferred;
    groupPosts.capped += b.groupPosts.capped;
  }
  const all = (f: (b: RepBook) => NamedCustomer[]) => mine.flatMap(f).sort(byWeight);
  const retained = total.base.map((b, i) => b - total.lost[i]);
  const kpis = [
    kpi('retention', '留存率', 'rate', retained, total.base),
    kpi('churn', '客户删除（人/天）', 'count', total.churn, null),
    kpi('repeatPurchase', '复购率（近 90 天）', 'rate', total.repeaters, total.buyers),
    kpi('responseCompliance', '响应达标率', 'rate', total.compliant, total.waits),
    kpi('reminderCompletion', '提醒完成率', 'rate', total.doneOnTime, total.due),
  ];
  const byRep: RepRow[] = mine.map((b) => ({
    rep: b.rep, name: b.name,
    newCustomers: Object.values(b.newByState).reduce((x, y) => x + y, 0),
    lost: b.series.lost[TREND_DAYS],
    remindersDone: b.remindersDone, remindersOverdue: b.remindersOverdue,
    prevented: Object.values(b.prevented).reduce((x, y) => x + y, 0),
    underServed: [...b.underServed].sort(byWeight), saturated: [...b.saturated].sort(byWeight),
  }));
  const d: Digest = {
    supervisor: s.userId, supervisorName: s.name, scope: s.scope, date, reps: s.reps.length,
    newByState: [...newByState].map(([state, count]) => ({ state, count })).sort((a, b) => b.count - a.count || (a.state < b.state ? -1 : 1)),
    newTotal: [...newByState.values()].reduce((a, b) => a + b, 0),
    lostByCustomer: all((b) => b.lostByCustomer), lostByRep: all((b) => b.lostByRep),
    waiting: all((b) => b.waiting), atRisk: all((b) => b.atRisk), dormant: all((b) => b.dormant),
    prevented: [...prevented].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1)),
    preventedTotal: [...prevented.values()].reduce((a, b) => a + b, 0),
    campaigns: known.campaigns ? campaigns : null,
    groupPosts: known.groupPosts ? groupPosts : null,
    remindersDone: byRep.reduce((a, r) => a + r.remindersDone, 0),
    remindersOverdue: byRep.reduce((a, r) => a + r.remindersOverdue, 0),
    byRep, kpis, quiet: false,
  };
  d.quiet = d.newTotal === 0 && d.lostByCustomer.length === 0 && d.lostByRep.length === 0 && d.waiting.length === 0
    && d.atRisk.length === 0 && d.dormant.length === 0 && d.preventedTotal === 0 && d.remindersDone === 0 && d.remindersOverdue === 0
    && campaigns.sent + campaigns.deferred + campaigns.capped === 0 && groupPosts.sent + groupPosts.deferred + groupPosts.capped === 0 && byRep.every((r) => r.underServed.length === 0 && r.saturated.length === 0);
  return d;
}
