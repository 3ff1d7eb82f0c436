import { loadPolicyConfig } from '../../../src/policy/config';
import { createPressurePolicy, PressureConfig, PressureConfigSchema, PressurePolicy, PressureState } from '../../../src/pressure';

/** The shipped defaults from config/*.json, validated exactly as production loads them. */
export const defaults = loadPolicyConfig();

/** Small round numbers so each table row shows one rule at work. */
export const testPressureConfig: PressureConfig = PressureConfigSchema.parse({
  serviceWindowHours: 48,
  fallbackTier: 'plain',
  platform: { timeZone: 'Asia/Shanghai', massQuota: 'days_in_month' },
  tiers: {
    plain: {
      caps: {
        care: { day: 2, week: 3, month: 5 },
        marketing: { day: 1, week: 1, month: 2 },
        welcome: { day: 1, month: 2 },
        proactive: { day: 2, week: 4, month: 6 },
      },
      minGapHours: 2,
      quietHours: { start: '21:00', end: '09:00' },
      complaintCooldownDays: 7,
      backoff: { slowAfter: 2, gapMultiplier: 3, pauseAfter: 4 },
    },
    // Caps far above WeCom's quotas, to see the platform limits act on their own.
    loose: {
      caps: { care: {}, marketing: {}, welcome: {}, proactive: {} },
      minGapHours: 0,
      quietHours: null,
      complaintCooldownDays: 0,
      backoff: { slowAfter: 50, gapMultiplier: 1, pauseAfter: 50 },
    },
    silent: {
      caps: { care: { month: 1 }, marketing: { month: 0 }, welcome: { month: 1 }, proactive: {} },
      minGapHours: 0,
      quietHours: null,
      complaintCooldownDays: 0,
      backoff: { slowAfter: 5, gapMultiplier: 1, pauseAfter: 5 },
    },
  },
  group: { caps: { day: 1, week: 3 }, minGapHours: 20, quietHours: { start: '21:00', end: '09:00' } },
});

export function testPolicy(timeZone = 'Asia/Shanghai'): PressurePolicy {
  return createPressurePolicy(testPressureConfig, timeZone);
}

export function defaultPolicy(timeZone = 'Asia/Shanghai'): PressurePolicy {
  return createPressurePolicy(defaults.pressure, timeZone);
}

export function state(over: Partial<PressureState> = {}): PressureState {
  return {
    id: 'wm-customer-1',
    tier: 'plain',
    touches: [],
    lastInboundAt: null,
    complaint: { openSince: null, lastClosedAt: null },
    relation: 'active',
    ...over,
  };
}

/** Shanghai wall-clock shorthand: sh('2025-03-03 10:00'). */
export function sh(local: string): Date {
  return new Date(local.replace(' ', 'T') + ':00+08:00');
}
