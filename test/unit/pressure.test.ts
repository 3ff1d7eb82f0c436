import { BatchEvaluator, evaluate, evaluateMany, PressureState, Touch, TouchCategory, TouchRequest, Verdict } from '../../src/pressure';
import { sh, state, testPolicy } from './support/fixtures';

const policy = testPolicy();
const care = (local: string, extra: Partial<Touch> = {}): Touch => ({ at: sh(local), category: 'care', ...extra });
const mkt = (local: string, extra: Partial<Touch> = {}): Touch => ({ at: sh(local), category: 'marketing', ...extra });

interface Row {
  name: string;
  state: Partial<PressureState>;
  request: TouchCategory | TouchRequest;
  at: Date;
  reasons: string[] | null; // null = allowed
  next?: Date | null;
}

// 2025-03-03 is a Monday. Times are Asia/Shanghai unless the row says otherwise.
const rows: Row[] = [
  { name: 'allow care with no history in the daytime', state: {}, request: 'care', at: sh('2025-03-03 10:00'), reasons: null },
  { name: 'deny at night until quiet hours end', state: {}, request: 'care', at: sh('2025-03-03 22:30'), reasons: ['QUIET_HOURS'], next: sh('2025-03-04 09:00') },
  { name: 'deny just before quiet hours end', state: {}, request: 'marketing', at: sh('2025-03-03 08:59'), reasons: ['QUIET_HOURS'], next: sh('2025-03-03 09:00') },
  { name: 'allow at the exact end of quiet hours', state: {}, request: 'care', at: sh('2025-03-03 09:00'), reasons: null },
  {
    name: 'deny over the daily cap until the next morning',
    state: { touches: [care('2025-03-03 10:00'), care('2025-03-03 12:00')], lastInboundAt: sh('2025-03-03 12:30') },
    request: 'care',
    at: sh('2025-03-03 15:00'),
    reasons: ['DAILY_CAP'],
    next: sh('2025-03-04 09:00'),
  },
  {
    name: 'deny over the weekly cap until Monday morning',
    state: { touches: [care('2025-03-03 10:00'), care('2025-03-04 10:00'), care('2025-03-05 10:00')] },
    request: 'care',
    at: sh('2025-03-06 10:00'),
    reasons: ['WEEKLY_CAP'],
    next: sh('2025-03-10 09:00'),
  },
  {
    name: 'deny over the monthly cap until the first morning of next month',
    state: { touches: [mkt('2025-03-03 10:00'), mkt('2025-03-12 10:00')], lastInboundAt: sh('2025-03-13 10:00') },
    request: 'marketing',
    at: sh('2025-03-20 10:00'),
    reasons: ['MONTHLY_CAP'],
    next: sh('2025-04-01 09:00'),
  },
  {
    name: 'count care and marketing together against the proactive cap',
    state: { touches: [care('2025-03-03 10:00'), mkt('2025-03-03 13:00')], lastInboundAt: sh('2025-03-03 14:00') },
    request: 'care',
    at: sh('2025-03-03 16:00'),
    reasons: ['DAILY_CAP'],
    next: sh('2025-03-04 09:00'),
  },
  { name: 'deny inside the minimum gap', state: { touches: [care('2025-03-03 10:00')] }, request: 'care', at: sh('2025-03-03 11:00'), reasons: ['MIN_GAP'], next: sh('2025-03-03 12:00') },
  {
    name: 'push a gap that ends at night to the next morning',
    state: { touches: [care('2025-03-03 20:00')] },
    request: 'care',
    at: sh('2025-03-03 20:30'),
    reasons: ['MIN_GAP'],
    next: sh('2025-03-04 09:00'),
  },
  {
    name: 'multiply the gap after two unanswered touches',
    state: { touches: [care('2025-03-03 10:00'), care('2025-03-04 10:00')], lastInboundAt: sh('2025-03-02 10:00') },
    request: 'care',
    at: sh('2025-03-04 14:00'),
    reasons: ['MIN_GAP'],
    next: sh('2025-03-04 16:00'),
  },
  {
    name: 'pause after four unanswered touches until the customer writes',
    state: { touches: [care('2025-02-03 10:00'), care('2025-02-10 10:00'), care('2025-02-17 10:00'), mkt('2025-02-24 10:00')] },
    request: 'care',
    at: sh('2025-03-10 10:00'),
    reasons: ['BACKOFF_PAUSED'],
    next: null,
  },
  {
    name: 'lift the pause once the customer writes',
    state: {
      touches: [care('2025-02-03 10:00'), care('2025-02-10 10:00'), care('2025-02-17 10:00'), mkt('2025-02-24 10:00')],
      lastInboundAt: sh('2025-03-01 10:00'),
    },
    request: 'care',
    at: sh('2025-03-10 10:00'),
    reasons: null,
  },
  {
    name: 'block marketing while a complaint is open',
    state: { complaint: { openSince: sh('2025-03-02 10:00'), lastClosedAt: null } },
    request: 'marketing',
    at: sh('2025-03-03 10:00'),
    reasons: ['COMPLAINT_OPEN'],
    next: null,
  },
  {
    name: 'block routine care while a complaint is open',
    state: { complaint: { openSince: sh('2025-03-02 10:00'), lastClosedAt: null } },
    request: 'care',
    at: sh('2025-03-03 10:00'),
    reasons: ['COMPLAINT_OPEN'],
    next: null,
  },
  {
    name: 'allow a complaint follow-up while the complaint is open',
    state: { complaint: { openSince: sh('2025-03-02 10:00'), lastClosedAt: null } },
    request: { category: 'care', complaintFollowUp: true },
    at: sh('2025-03-03 10:00'),
    reasons: null,
  },
  {
    name: 'keep marketing silent during the cooldown after a complaint closes',
    state: { complaint: { openSince: null, lastClosedAt: sh('2025-03-01 15:00') } },
    request: 'marketing',
    at: sh('2025-03-03 10:00'),
    reasons: ['COMPLAINT_COOLDOWN'],
    next: sh('2025-03-08 15:00'),
  },
  {
    name: 'allow care during the cooldown',
    state: { complaint: { openSince: null, lastClosedAt: sh('2025-03-01 15:00') } },
    request: 'care',
    at: sh('2025-03-03 10:00'),
    reasons: null,
  },
  { name: 'refuse every touch once the relation ended', state: { relation: 'deleted_by_customer' }, request: 'care', at: sh('2025-03-03 10:00'), reasons: ['RELATION_ENDED'], next: null },
  {
    name: 'allow service at night with every cap used',
    state: { touches: [care('2025-03-03 10:00'), care('2025-03-03 12:00'), mkt('2025-03-03 13:00')], lastInboundAt: sh('2025-03-03 22:00') },
    request: 'service',
    at: sh('2025-03-03 23:30'),
    reasons: null,
  },
  { name: 'treat a reply three days later as outside the service window', state: { lastInboundAt: sh('2025-02-28 10:00') }, request: 'service', at: sh('2025-03-03 10:00'), reasons: ['OUTSIDE_SERVICE_WINDOW'], next: null },
  { name: 'allow a welcome message at night', state: {}, request: 'welcome', at: sh('2025-03-03 23:00'), reasons: null },
  {
    name: 'count corp and member mass messages together against WeCom\'s quota',
    state: {
      tier: 'loose',
      // March has 31 days: 31 mass messages, corp- and member-created, use the default quota.
      touches: Array.from({ length: 31 }, (_, i) => care(`2025-03-${String(i + 1).padStart(2, '0')} 08:00`, { channel: i % 2 ? 'corp_mass' : 'member_mass' })),
    },
    request: 'marketing',
    at: sh('2025-03-31 10:00'),
    reasons: ['PLATFORM_QUOTA'],
    next: sh('2025-04-01 00:00'),
  },
  {
    name: 'not count direct chats against the corp mass quota',
    state: { tier: 'loose', touches: ['2025-03-01', '2025-03-05', '2025-03-10', '2025-03-15'].map((d) => care(`${d} 10:00`)) },
    request: 'marketing',
    at: sh('2025-03-20 10:00'),
    reasons: null,
  },
  {
    name: 'keep the group gap and quiet hours',
    state: { touches: [{ at: sh('2025-03-03 10:00'), category: 'group_content' }] },
    request: 'group_content',
    at: sh('2025-03-04 05:00'),
    reasons: ['QUIET_HOURS', 'MIN_GAP'],
    next: sh('2025-03-04 09:00'),
  },
  {
    name: 'apply the group daily cap and gap',
    state: { touches: [{ at: sh('2025-03-03 09:30'), category: 'group_content' }] },
    request: 'group_content',
    at: sh('2025-03-03 15:00'),
    reasons: ['DAILY_CAP', 'MIN_GAP'],
    next: sh('2025-03-04 09:00'),
  },
  { name: 'never reopen a category capped at zero', state: { tier: 'silent' }, request: 'marketing', at: sh('2025-03-03 10:00'), reasons: ['MONTHLY_CAP'], next: null },
  { name: 'use the fallback rule for an unknown tier', state: { tier: 'vip-typo' }, request: 'care', at: sh('2025-03-03 22:00'), reasons: ['QUIET_HOURS'], next: sh('2025-03-04 09:00') },
  {
    name: 'list every reason that applies',
    state: { touches: [care('2025-03-03 20:00'), care('2025-03-03 20:30')] },
    request: 'care',
    at: sh('2025-03-03 21:30'),
    reasons: ['QUIET_HOURS', 'DAILY_CAP', 'MIN_GAP'],
    next: sh('2025-03-04 09:00'),
  },
];

describe('pressure evaluate', () => {
  it.each(rows)('should $name', (row) => {
    const sut = evaluate(state(row.state), row.request, row.at, policy);
    if (row.reasons === null) {
      expect(sut).toEqual({ allowed: true });
      return;
    }
    expect(sut.allowed).toBe(false);
    const denied = sut as Extract<Verdict, { allowed: false }>;
    expect(denied.reasons).toEqual(row.reasons);
    expect(denied.nextAllowedAt).toEqual(row.next);
    if (denied.nextAllowedAt) {
      expect(evaluate(state(row.state), row.request, denied.nextAllowedAt, policy)).toEqual({ allowed: true });
    }
  });
});

describe('pressure time zones', () => {
  it('should judge quiet hours in the customer time zone, not the corp one', () => {
    const la = state({ timeZone: 'America/Los_Angeles' });
    // 10:00 in Shanghai is 18:00 the day before in Los Angeles: fine there.
    expect(evaluate(la, 'care', sh('2025-03-03 10:00'), policy)).toEqual({ allowed: true });
    // 15:00 in Shanghai is 23:00 in Los Angeles: quiet until 09:00 PST = 01:00 next day in Shanghai.
    expect(evaluate(la, 'care', sh('2025-03-03 15:00'), policy)).toEqual({
      allowed: false,
      reasons: ['QUIET_HOURS'],
      nextAllowedAt: new Date('2025-03-03T09:00:00-08:00'),
    });
  });

  it('should end quiet hours at local 09:00 across the spring-forward night', () => {
    const la = state({ timeZone: 'America/Los_Angeles' });
    const sut = evaluate(la, 'care', new Date('2025-03-08T22:00:00-08:00'), policy);
    // Clocks jump to PDT (UTC-7) at 02:00 on 2025-03-09.
    expect(sut).toMatchObject({ allowed: false, nextAllowedAt: new Date('2025-03-09T09:00:00-07:00') });
  });

  it('should use the corp time zone for calendar windows', () => {
    // A customer capped for the day in Shanghai: in a Los Angeles corp the same instants fall on another day.
    const touches = [care('2025-03-03 10:00'), care('2025-03-03 12:00')];
    const at = sh('2025-03-03 17:30'); // 01:30 on 03-03 in Los Angeles; the touches were on 03-02 there.
    const customer = state({ touches, timeZone: 'Asia/Shanghai', lastInboundAt: sh('2025-03-03 12:30') });
    expect(evaluate(customer, 'care', at, policy)).toMatchObject({ reasons: ['DAILY_CAP'] });
    expect(evaluate(customer, 'care', at, testPolicy('America/Los_Angeles'))).toEqual({ allowed: true });
  });
});

describe('pressure evaluateMany', () => {
  it('should give the same verdicts as evaluating one by one', () => {
    const states = rows.map((r) => state(r.state));
    const at = sh('2025-03-03 15:00');
    const sut = evaluateMany(states, 'marketing', at, policy);
    expect(sut).toEqual(states.map((s) => evaluate(s, 'marketing', at, policy)));
    expect(sut.some((v) => v.allowed)).toBe(true);
    expect(sut.some((v) => !v.allowed)).toBe(true);
  });
});

describe('pressure BatchEvaluator', () => {
  it('should give the same verdict as evaluate for each (state, instant), reusing its scratch', () => {
    const sut = new BatchEvaluator({ category: 'marketing', channel: 'corp_mass' }, policy);
    const instants = ['2025-03-03 08:00', '2025-03-03 15:00', '2025-03-04 23:30', '2025-03-31 10:00'].map(sh);
    let denied = 0;
    for (const at of instants) {
      for (const r of rows) {
        const s = state(r.state);
        const v = sut.verdict(s, at.getTime());
        expect(v).toEqual(evaluate(s, { category: 'marketing', channel: 'corp_mass' }, at, policy));
        if (!v.allowed) denied++;
      }
    }
    expect(denied).toBeGreaterThan(0);
  });
});
