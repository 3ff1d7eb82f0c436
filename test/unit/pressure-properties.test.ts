import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  createPressurePolicy,
  evaluate,
  PressureConfig,
  PressureState,
  Touch,
  TouchChannel,
  TouchRequest,
} from '../../src/pressure';
import { defaults, testPressureConfig } from './support/fixtures';

/**
 * Simulation: random requests over weeks; a touch is appended only when evaluate allows it.
 * Whatever the sequence, the admitted touches must respect every cap, gap, quiet hour,
 * cooldown and platform limit, checked here independently with luxon.
 */

const ZONES = ['Asia/Shanghai', 'America/Los_Angeles', 'Europe/London'];
// Starts near month, year and daylight-saving boundaries (US: Mar 9 / Nov 2, UK: Mar 30 / Oct 26).
const STARTS = ['2025-02-24T00:00:00Z', '2025-03-05T12:00:00Z', '2025-03-27T00:00:00Z', '2025-10-22T00:00:00Z', '2024-12-26T00:00:00Z'];
const withQuota = (c: PressureConfig, massQuota: PressureConfig['platform']['massQuota']): PressureConfig => ({ ...c, platform: { ...c.platform, massQuota } });
// Every quota setting WeCom's admin can choose (wecom/API.md section 5.4).
const CONFIGS: PressureConfig[] = [
  defaults.pressure, testPressureConfig, withQuota(testPressureConfig, 'seven_per_week'), withQuota(testPressureConfig, 'one_per_day'),
];
const QUOTA = { days_in_month: ['month', 31], seven_per_week: ['week', 7], one_per_day: ['day', 1] } as const;
const MIN = 60_000;
const DAY = 86_400_000;

type Step =
  | { kind: 'request'; after: number; req: TouchRequest; jumpToNext: boolean }
  | { kind: 'inbound'; after: number };

const channel = fc.constantFrom<TouchChannel | undefined>(undefined, 'direct', 'corp_mass', 'member_mass');
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      after: fc.integer({ min: 0, max: 40 * 60 }),
      req: fc.record({ category: fc.constantFrom('care' as const, 'marketing' as const), channel, complaintFollowUp: fc.boolean() }),
      jumpToNext: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('inbound' as const), after: fc.integer({ min: 0, max: 72 * 60 }) }) },
);

const scenario = fc.record({
  configIndex: fc.integer({ min: 0, max: CONFIGS.length - 1 }),
  tierIndex: fc.nat(),
  corpZone: fc.constantFrom(...ZONES),
  customerZone: fc.constantFrom(null, ...ZONES),
  start: fc.constantFrom(...STARTS),
  // Complaint opened/closed at offsets (days) from the start; relation may end.
  complaint: fc.option(fc.record({ openDay: fc.integer({ min: 0, max: 30 }), lengthDays: fc.integer({ min: 0, max: 10 }) })),
  endDay: fc.option(fc.integer({ min: 5, max: 60 })),
  steps: fc.array(step, { minLength: 20, maxLength: 120 }),
});

interface Admitted {
  at: number;
  req: TouchRequest;
  channel: TouchChannel;
  unansweredBefore: number;
}

function windowKey(ms: number, zone: string, unit: 'day' | 'week' | 'month'): number {
  return DateTime.fromMillis(ms, { zone }).startOf(unit).toMillis();
}

function maxPerWindow(times: number[], zone: string, unit: 'day' | 'week' | 'month'): number {
  const counts = new Map<number, number>();
  for (const t of times) counts.set(windowKey(t, zone, unit), (counts.get(windowKey(t, zone, unit)) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

function isQuiet(ms: number, zone: string, q: { start: string; end: string }): boolean {
  const local = DateTime.fromMillis(ms, { zone });
  const m = local.hour * 60 + local.minute;
  const [s, e] = [q.start, q.end].map((x) => Number(x.slice(0, 2)) * 60 + Number(x.slice(3)));
  return s < e ? m >= s && m < e : m >= s || m < e;
}

describe('pressure properties', () => {
  it('should never admit a touch that breaks a cap, gap, quiet hours, cooldown or platform limit', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const config = CONFIGS[sc.configIndex];
        const tiers = Object.keys(config.tiers);
        const tier = tiers[sc.tierIndex % tiers.length];
        const rule = config.tiers[tier];
        const policy = createPressurePolicy(config, sc.corpZone);
        const start = Date.parse(sc.start);
        const openAt = sc.complaint ? start + sc.complaint.openDay * DAY : Infinity;
        const closeAt = sc.complaint ? openAt + sc.complaint.lengthDays * DAY : Infinity;
        const endAt = sc.endDay === null ? Infinity : start + sc.endDay * DAY;

        const touches: Touch[] = [];
        const admitted: Admitted[] = [];
        let lastInbound: number | null = null;
        let t = start;
        let next: number | null = null;
        for (const s of sc.steps) {
          t = s.kind === 'request' && s.jumpToNext && next !== null ? Math.max(t, next) : t + s.after * MIN;
          if (s.kind === 'inbound') {
            if (t < endAt) lastInbound = t;
            continue;
          }
          const state: PressureState = {
            id: 'c',
            tier,
            timeZone: sc.customerZone,
            touches: [...touches],
            lastInboundAt: lastInbound === null ? null : new Date(lastInbound),
            complaint: {
              openSince: t >= openAt && t < closeAt ? new Date(openAt) : null,
              lastClosedAt: t >= closeAt ? new Date(closeAt) : null,
            },
            relation: t >= endAt ? 'deleted_by_customer' : 'active',
          };
          const v = evaluate(state, s.req, new Date(t), policy);
          if (v.allowed) {
            const ch = s.req.channel ?? (s.req.category === 'marketing' ? 'corp_mass' : 'direct');
            touches.push({ at: new Date(t), category: s.req.category, channel: s.req.channel });
            const unansweredBefore = admitted.filter((a) => lastInbound === null || a.at > lastInbound).length;
            admitted.push({ at: t, req: s.req, channel: ch, unansweredBefore });
            next = null;
          } else {
            next = v.nextAllowedAt ? v.nextAllowedAt.getTime() : null;
            if (next !== null) {
              expect(next).toBeGreaterThan(t);
              expect(evaluate(state, s.req, new Date(next), policy)).toEqual({ allowed: true });
              expect(evaluate(state, s.req, new Date(next - 1), policy).allowed).toBe(false);
            }
          }
        }

        const zone = sc.customerZone ?? sc.corpZone;
        const all = admitted.map((a) => a.at);
        for (const unit of ['day', 'week', 'month'] as const) {
          for (const cat of ['care', 'marketing'] as const) {
            const cap = rule.caps[cat][unit];
            if (cap !== undefined) expect(maxPerWindow(admitted.filter((a) => a.req.category === cat).map((a) => a.at), sc.corpZone, unit)).toBeLessThanOrEqual(cap);
          }
          const total = rule.caps.proactive[unit];
          if (total !== undefined) expect(maxPerWindow(all, sc.corpZone, unit)).toBeLessThanOrEqual(total);
        }
        // WeCom's quota (wecom/API.md section 5.4): corp and member mass messages together, on Beijing time.
        const mass = admitted.filter((a) => a.channel === 'corp_mass' || a.channel === 'member_mass').map((a) => a.at);
        const [unit, max] = QUOTA[config.platform.massQuota];
        expect(maxPerWindow(mass, 'Asia/Shanghai', unit)).toBeLessThanOrEqual(max);

        admitted.forEach((a, i) => {
          if (rule.quietHours) expect(isQuiet(a.at, zone, rule.quietHours)).toBe(false);
          expect(a.unansweredBefore).toBeLessThan(rule.backoff.pauseAfter);
          expect(a.at).toBeLessThan(endAt);
          if (i > 0) {
            const slowed = a.unansweredBefore >= rule.backoff.slowAfter;
            const gap = rule.minGapHours * 3_600_000 * (slowed ? rule.backoff.gapMultiplier : 1);
            expect(a.at - admitted[i - 1].at).toBeGreaterThanOrEqual(gap);
          }
          const inComplaint = a.at >= openAt && a.at < closeAt;
          if (a.req.category === 'marketing') {
            expect(inComplaint).toBe(false);
            expect(a.at >= closeAt && a.at < closeAt + rule.complaintCooldownDays * DAY).toBe(false);
          } else if (inComplaint) {
            expect(a.req.complaintFollowUp).toBe(true);
          }
        });
      }),
      { numRuns: 150 },
    );
  });

  it('should give a nextAllowedAt that is allowed and the earliest such instant', () => {
    const touch = fc.record({
      ago: fc.integer({ min: 0, max: 45 * 24 * 60 }),
      category: fc.constantFrom('care' as const, 'marketing' as const, 'welcome' as const, 'group_content' as const, 'service' as const),
      channel,
    });
    const request = fc.record({
      category: fc.constantFrom('care' as const, 'marketing' as const, 'welcome' as const, 'group_content' as const, 'service' as const),
      channel,
      complaintFollowUp: fc.boolean(),
    });
    const input = fc.record({
      configIndex: fc.integer({ min: 0, max: CONFIGS.length - 1 }),
      tierIndex: fc.nat(),
      corpZone: fc.constantFrom(...ZONES),
      customerZone: fc.constantFrom(null, ...ZONES),
      at: fc.integer({ min: Date.parse('2024-12-20T00:00:00Z'), max: Date.parse('2025-12-31T00:00:00Z') }),
      touches: fc.array(touch, { maxLength: 12 }),
      inboundAgo: fc.option(fc.integer({ min: 0, max: 30 * 24 * 60 })),
      closedAgo: fc.option(fc.integer({ min: 0, max: 40 * 24 * 60 })),
      request,
    });
    fc.assert(
      fc.property(input, (x) => {
        const config = CONFIGS[x.configIndex];
        const tiers = Object.keys(config.tiers);
        const policy = createPressurePolicy(config, x.corpZone);
        const state: PressureState = {
          id: 'c',
          tier: tiers[x.tierIndex % tiers.length],
          timeZone: x.customerZone,
          touches: x.touches.map((t) => ({ at: new Date(x.at - t.ago * MIN), category: t.category, channel: t.channel })),
          lastInboundAt: x.inboundAgo === null ? null : new Date(x.at - x.inboundAgo * MIN),
          complaint: { openSince: null, lastClosedAt: x.closedAgo === null ? null : new Date(x.at - x.closedAgo * MIN) },
          relation: 'active',
        };
        const v = evaluate(state, x.request, new Date(x.at), policy);
        if (v.allowed) return;
        if (v.nextAllowedAt === null) {
          // Only an event can reopen it: the customer writing, or a category switched off (cap 0).
          const eventOnly = v.reasons.some((r) => ['OUTSIDE_SERVICE_WINDOW', 'BACKOFF_PAUSED'].includes(r));
          expect(eventOnly || state.tier === 'silent').toBe(true);
          return;
        }
        const next = v.nextAllowedAt.getTime();
        expect(next).toBeGreaterThan(x.at);
        expect(evaluate(state, x.request, v.nextAllowedAt, policy)).toEqual({ allowed: true });
        expect(evaluate(state, x.request, new Date(next - 1), policy).allowed).toBe(false);
      }),
      { numRuns: 1500 },
    );
  });

  it('should never admit more group content than the group caps and WeCom allow', () => {
    const input = fc.record({
      corpZone: fc.constantFrom(...ZONES),
      groupZone: fc.constantFrom(null, ...ZONES),
      start: fc.constantFrom(...STARTS),
      gaps: fc.array(fc.integer({ min: 1, max: 30 * 60 }), { minLength: 20, maxLength: 100 }),
      quota: fc.constantFrom('days_in_month' as const, 'seven_per_week' as const, 'one_per_day' as const),
    });
    fc.assert(
      fc.property(input, (x) => {
        const policy = createPressurePolicy(withQuota(defaults.pressure, x.quota), x.corpZone);
        const group = defaults.pressure.group;
        const touches: Touch[] = [];
        let t = Date.parse(x.start);
        for (const g of x.gaps) {
          t += g * MIN;
          const state: PressureState = {
            id: 'wr-group',
            tier: 'regular',
            timeZone: x.groupZone,
            touches: [...touches],
            lastInboundAt: null,
            complaint: { openSince: null, lastClosedAt: null },
            relation: 'active',
          };
          if (evaluate(state, 'group_content', new Date(t), policy).allowed) touches.push({ at: new Date(t), category: 'group_content' });
        }
        const times = touches.map((s) => s.at.getTime());
        const [quotaUnit, quotaMax] = QUOTA[x.quota];
        expect(maxPerWindow(times, 'Asia/Shanghai', quotaUnit)).toBeLessThanOrEqual(quotaMax);
        for (const unit of ['day', 'week', 'month'] as const) {
          const cap = group.caps[unit];
          if (cap !== undefined) expect(maxPerWindow(times, x.corpZone, unit)).toBeLessThanOrEqual(cap);
        }
        times.forEach((at, i) => {
          if (group.quietHours) expect(isQuiet(at, x.groupZone ?? x.corpZone, group.quietHours)).toBe(false);
          if (i > 0) expect(at - times[i - 1]).toBeGreaterThanOrEqual(group.minGapHours * 3_600_000);
        });
      }),
      { numRuns: 150 },
    );
  });
});
