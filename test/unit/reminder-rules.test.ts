import { ZoneCalendar } from '../../src/policy/zone-calendar';
import { causesFor, compileWorkHours, nextOccurrence, workFit, type RuleContext, type RuleCustomer } from '../../src/reminders/rules';
import { defaults } from './support/fixtures';

/**
 * The care rules are pure functions of stored facts and `now`. Every instant below is written in
 * Beijing time (the corp's FENCUN_TIMEZONE); the boundary cases pick instants whose UTC date
 * differs from the Beijing date, so rules that took the UTC day would give other answers.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso).getTime();
const cal = new ZoneCalendar('Asia/Shanghai');
const ctx: RuleContext = {
  reminders: defaults.reminders, nextAction: defaults.nextAction, fallbackTier: defaults.pressure.fallbackTier,
  tierLabels: Object.fromEntries(defaults.tiers.tiers.map((t) => [t.id, t.label])),
  serviceWindowMs: defaults.pressure.serviceWindowHours * HOUR, cal, work: compileWorkHours(defaults.reminders.workHours),
};

function customer(over: Partial<RuleCustomer> = {}): RuleCustomer {
  return {
    externalUserId: 'wmA', tier: null, stage: null, addedAt: null, lastInboundAt: null, lastOutboundAt: null, unansweredSince: null,
    lastCareAt: null, firstPaidAt: null, lastPaidAt: null, birthday: null, anniversary: null, complaints: [], ...over,
  };
}
const daily = (c: RuleCustomer, now: number) => causesFor(c, now, ctx, 'daily');
const service = (c: RuleCustomer, now: number) => causesFor(c, now, ctx, 'service');
const iso = (ms: number) => new Date(ms).toISOString();

describe('work hours (09:00–18:00, Monday to Friday, Beijing)', () => {
  it.each([
    ['Friday 10:00 stays', '2026-11-20T10:00:00+08:00', '2026-11-20T10:00:00+08:00'],
    ['Friday 17:59 stays', '2026-11-20T17:59:00+08:00', '2026-11-20T17:59:00+08:00'],
    ['Friday 18:00 moves to Monday', '2026-11-20T18:00:00+08:00', '2026-11-23T09:00:00+08:00'],
    ['Saturday moves to Monday', '2026-11-21T12:00:00+08:00', '2026-11-23T09:00:00+08:00'],
    ['Monday 08:00 waits for 09:00', '2026-11-23T08:00:00+08:00', '2026-11-23T09:00:00+08:00'],
    // 00:30 in Beijing is still Sunday 16:30 in UTC: the work day is Beijing's Monday.
    ['Monday 00:30 Beijing (Sunday in UTC) moves to Monday 09:00', '2026-11-23T00:30:00+08:00', '2026-11-23T09:00:00+08:00'],
  ])('should keep due times inside work hours: %s', (_, from, expected) => {
    expect(iso(workFit(at(from), ctx.work, cal))).toBe(iso(at(expected)));
  });
});

describe('birthday', () => {
  const born = customer({ birthday: { month: 11, day: 21 } });

  it('should count the days to a birthday on the Beijing calendar, not the UTC one', () => {
    // 23:30 on 18 Nov in Beijing: the birthday is 3 days away, beyond the 2-day lead.
    expect(daily(born, at('2026-11-18T23:30:00+08:00'))).toEqual([]);
    // 00:30 on 19 Nov in Beijing is still 18 Nov in UTC, but here it is 2 days away: made now.
    const [c] = daily(born, at('2026-11-19T00:30:00+08:00'));
    expect(c).toMatchObject({ kind: 'birthday', ruleKey: 'birthday:wmA:2026', template: 'birthday', reason: '11月21日是客户生日', request: { category: 'care' } });
    // 21 Nov 2026 is a Saturday: due on the Friday before, at the start of work.
    expect(iso(c.dueAt)).toBe(iso(at('2026-11-20T09:00:00+08:00')));
  });

  it('should name the next year\'s birthday from Beijing\'s New Year\'s Eve night on', () => {
    const c = customer({ birthday: { month: 1, day: 1 } });
    const [b] = daily(c, at('2026-12-31T00:30:00+08:00'));
    expect(b.ruleKey).toBe('birthday:wmA:2027');
    expect(iso(b.dueAt)).toBe(iso(at('2027-01-01T09:00:00+08:00')));
    // The same cause on every run of the lead window: one reminder.
    expect(daily(c, at('2027-01-01T09:00:00+08:00'))[0].ruleKey).toBe('birthday:wmA:2027');
    expect(daily(c, at('2027-01-02T09:00:00+08:00'))).toEqual([]);
  });

  it('should greet a 29 February birthday on 28 February in a common year', () => {
    expect(nextOccurrence(2, 29, at('2027-02-20T09:00:00+08:00'), cal)).toEqual({ year: 2027, localDay: at('2027-02-28T00:00:00Z') / DAY });
    expect(nextOccurrence(2, 29, at('2028-02-20T09:00:00+08:00'), cal)).toEqual({ year: 2028, localDay: at('2028-02-29T00:00:00Z') / DAY });
  });

  it('should make nothing once the birthday has passed, until next year\'s lead window', () => {
    expect(daily(born, at('2026-11-22T09:00:00+08:00'))).toEqual([]);
    expect(daily(born, at('2027-11-19T09:00:00+08:00'))[0].ruleKey).toBe('birthday:wmA:2027');
  });
});

describe('anniversary', () => {
  it('should celebrate the first order on its Beijing date (00:30 on 21 Nov is 20 Nov in UTC)', () => {
    const c = customer({ firstPaidAt: at('2025-11-21T00:30:00+08:00') });
    expect(daily(c, at('2026-11-18T09:00:00+08:00'))).toEqual([]);
    const [a] = daily(c, at('2026-11-19T09:00:00+08:00'));
    expect(a).toMatchObject({ kind: 'anniversary', ruleKey: 'anniversary:wmA:2026', vars: { years: 1, date: '11月21日' }, reason: '11月21日是客户首次购买 1 周年' });
  });

  it('should prefer the imported anniversary, and wait for the first full year', () => {
    const imported = customer({ firstPaidAt: at('2020-03-01T10:00:00+08:00'), anniversary: { year: 2023, month: 11, day: 20 } });
    expect(daily(imported, at('2026-11-20T09:00:00+08:00'))[0]).toMatchObject({ ruleKey: 'anniversary:wmA:2026', vars: { years: 3 }, reason: '11月20日是客户的纪念日（3 周年）' });
    expect(daily(customer({ firstPaidAt: at('2026-11-20T10:00:00+08:00') }), at('2026-11-20T11:00:00+08:00'))).toEqual([]);
  });
});

describe('revisit by tier cadence', () => {
  const NOW = at('2026-11-20T09:00:00+08:00');

  it('should ask for a revisit once the tier\'s cadence has passed since the last conversation, keyed by the day it fell due', () => {
    // core: every 14 days (next-action.json revisitCadenceDays).
    const quiet = customer({ tier: 'core', stage: 'active', lastInboundAt: NOW - 15 * DAY, addedAt: NOW - 400 * DAY });
    const [r] = daily(quiet, NOW);
    expect(r).toMatchObject({ kind: 'revisit', ruleKey: 'revisit:wmA:2026-11-19', reason: '已 15 天没有交流，核心客户建议每 14 天回访一次' });
    expect(iso(r.dueAt)).toBe(iso(NOW));
    // The next days find the same cause (nobody talked): still one reminder.
    expect(daily(quiet, NOW + 3 * DAY)[0].ruleKey).toBe('revisit:wmA:2026-11-19');
    // A conversation moves the due day: a new cause, later.
    expect(daily({ ...quiet, lastOutboundAt: NOW - 2 * DAY }, NOW)).toEqual([]);
    expect(daily({ ...quiet, lastOutboundAt: NOW - 2 * DAY }, NOW + 12 * DAY)[0].ruleKey).toBe('revisit:wmA:2026-12-02');
  });

  it('should count from the added date when nobody ever talked, and skip the lost and the not yet judged', () => {
    const never = customer({ tier: 'key', stage: 'new', addedAt: NOW - 31 * DAY });
    expect(daily(never, NOW)[0].reason).toBe('加好友 31 天还没有聊过，重要客户建议每 30 天回访一次');
    expect(daily({ ...never, stage: 'lost' }, NOW)).toEqual([]);
    expect(daily({ ...never, tier: null, stage: null }, NOW)).toEqual([]);
  });
});

describe('at-risk and dormant personal touches', () => {
  const NOW = at('2026-11-20T09:00:00+08:00');
  const base = { tier: 'core', lastInboundAt: NOW - 100 * DAY, lastPaidAt: NOW - 70 * DAY, addedAt: NOW - 900 * DAY };

  it('should ask for one personal touch per silence, instead of a revisit', () => {
    const [c, ...rest] = daily(customer({ ...base, stage: 'at_risk' }), NOW);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ kind: 'churn_risk', ruleKey: 'at_risk:wmA:2026-09-11', template: 'churn_wake_up' });
    expect(c.reason).toContain('请亲自一对一问候，不发营销');
    const [d] = daily(customer({ ...base, stage: 'dormant' }), NOW);
    // A dormant customer whose silence already had its at-risk touch is not chased again.
    expect(d).toMatchObject({ kind: 'dormant_wake_up', ruleKey: 'dormant:wmA:2026-09-11', supersededBy: 'at_risk:wmA:2026-09-11' });
  });

  it('should leave tiers outside the rule to the revisit, and a customer with a complaint to its follow-up', () => {
    expect(daily(customer({ ...base, tier: 'potential', stage: 'dormant' }), NOW).map((c) => c.kind)).toEqual(['revisit']);
    expect(daily(customer({ ...base, stage: 'at_risk', complaints: [{ id: '7', confirmedAt: NOW - DAY }] }), NOW)).toEqual([]);
  });
});

describe('unanswered-message SLA by tier', () => {
  it('should remind once the tier\'s response target has passed, as service inside the service window', () => {
    const NOW = at('2026-11-20T10:00:00+08:00');
    const core = customer({ tier: 'core', stage: 'active', unansweredSince: NOW - 29 * 60_000, lastInboundAt: NOW - 29 * 60_000 });
    expect(service(core, NOW)).toEqual([]);
    const late = { ...core, unansweredSince: NOW - 31 * 60_000, lastInboundAt: NOW - 31 * 60_000 };
    const [s] = service(late, NOW);
    expect(s).toMatchObject({ kind: 'unanswered_reply', ruleKey: `sla:wmA:${NOW - 31 * 60_000}`, template: 'service', request: { category: 'service' }, service: true });
    expect(s.reason).toBe('客户今天 09:29 发来的消息还没有回复，已超过核心客户 30 分钟的回复时限');
    // A customer not yet judged gets the fallback tier's target (potential: 8 hours).
    expect(service({ ...late, tier: null }, NOW)).toEqual([]);
    expect(service({ ...late, tier: null, unansweredSince: NOW - 8 * HOUR, lastInboundAt: NOW - 8 * HOUR }, NOW)).toHaveLength(1);
  });

  it('should make a reply that can only happen after the weekend a late reply under pressure, not service', () => {
    const wrote = at('2026-11-20T17:50:00+08:00');
    const [s] = service(customer({ tier: 'core', unansweredSince: wrote, lastInboundAt: wrote }), at('2026-11-20T18:25:00+08:00'));
    expect(iso(s.dueAt)).toBe(iso(at('2026-11-23T09:00:00+08:00')));
    expect(s).toMatchObject({ template: 'late_reply', request: { category: 'care' }, service: false });
  });
});

describe('complaint follow-up', () => {
  const NOW = at('2026-11-20T11:00:00+08:00');
  it('should remind when a confirmed complaint had no reply from us within 24 hours', () => {
    const c = customer({ tier: 'key', lastInboundAt: NOW - 5 * DAY, complaints: [{ id: '42', confirmedAt: NOW - 25 * HOUR }] });
    const [f] = service(c, NOW);
    expect(f).toMatchObject({ kind: 'complaint_follow_up', ruleKey: 'complaint:42', request: { category: 'care', complaintFollowUp: true } });
    expect(service({ ...c, complaints: [{ id: '42', confirmedAt: NOW - 23 * HOUR }] }, NOW)).toEqual([]);
    expect(service({ ...c, lastOutboundAt: NOW - 20 * HOUR }, NOW)).toEqual([]);
    // The customer wrote yesterday: answering the complaint is service.
    expect(service({ ...c, lastInboundAt: NOW - DAY }, NOW)[0].request).toEqual({ category: 'service' });
  });
});
