import { createPressurePolicy, evaluate, MassQuota, PressureConfig, remainingBudget, Touch, TouchChannel } from '../../src/pressure';
import { sh, state, testPressureConfig } from './support/fixtures';

/**
 * WeCom's mass-message quota (wecom/API.md section 5.4): corp- and member-created mass messages
 * count together, per customer and per customer group, on Beijing time, under the rule the corp
 * admin chose in 群发助手. Each case sits on a month boundary, where a wrong calendar (UTC, the
 * corp's own zone, a rolling window) or a per-channel count gives another answer.
 */

function policyWith(massQuota: MassQuota, corpZone = 'Asia/Shanghai') {
  const config: PressureConfig = {
    ...testPressureConfig,
    platform: { ...testPressureConfig.platform, massQuota },
    group: { caps: {}, minGapHours: 0, quietHours: null },
  };
  return createPressurePolicy(config, corpZone);
}

const mass = (local: string, channel: TouchChannel = 'corp_mass'): Touch => ({ at: sh(local), category: 'marketing', channel });
const post = (local: string): Touch => ({ at: sh(local), category: 'group_content' });
const days = (month: string, n: number, hour = '08:00') =>
  Array.from({ length: n }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')} ${hour}`);

// A corp in Los Angeles: Fencun's own calendar differs from WeCom's, which must win.
const CORP_ZONES = ['Asia/Shanghai', 'America/Los_Angeles'];

describe.each(CORP_ZONES)('pressure platform quota (corp time zone %s)', (corpZone) => {
  it('should allow as many mass messages as February has days, then reopen at 00:00 Beijing on March 1', () => {
    const policy = policyWith('days_in_month', corpZone);
    // 28 in February 2025, alternating corp and member mass messages.
    const touches = days('2025-02', 28).map((d, i) => mass(d, i % 2 ? 'member_mass' : 'corp_mass'));
    const customer = state({ tier: 'loose', touches });
    expect(evaluate(customer, 'marketing', sh('2025-02-28 23:30'), policy)).toEqual({
      allowed: false, reasons: ['PLATFORM_QUOTA'], nextAllowedAt: sh('2025-03-01 00:00'),
    });
    // 2025-03-01 00:00 Beijing is still February in UTC and in Los Angeles.
    expect(evaluate(customer, 'marketing', sh('2025-03-01 00:00'), policy)).toEqual({ allowed: true });
    expect(remainingBudget(customer, 'marketing', sh('2025-02-28 23:30'), policy).month).toBe(0);
  });

  it('should allow a 31st mass message in March, which has 31 days, but not a 32nd', () => {
    const policy = policyWith('days_in_month', corpZone);
    const thirty = state({ tier: 'loose', touches: days('2025-03', 30).map((d) => mass(d)) });
    expect(evaluate(thirty, 'marketing', sh('2025-03-31 10:00'), policy)).toEqual({ allowed: true });
    expect(remainingBudget(thirty, 'marketing', sh('2025-03-31 10:00'), policy).month).toBe(1);
    const full = state({ tier: 'loose', touches: [...days('2025-03', 30).map((d) => mass(d)), mass('2025-03-31 09:00', 'member_mass')] });
    expect(evaluate(full, 'marketing', sh('2025-03-31 10:00'), policy)).toMatchObject({ reasons: ['PLATFORM_QUOTA'] });
  });

  it('should count seven per calendar week across the month boundary, not reset on April 1', () => {
    const policy = policyWith('seven_per_week', corpZone);
    // Week Monday 2025-03-31 .. Sunday 2025-04-06 (Beijing): 2 in March, 5 in April.
    const touches = ['2025-03-31 08:00', '2025-03-31 12:00', '2025-04-01 08:00', '2025-04-01 12:00', '2025-04-02 08:00', '2025-04-03 08:00', '2025-04-03 09:00']
      .map((d, i) => mass(d, i % 3 ? 'corp_mass' : 'member_mass'));
    const customer = state({ tier: 'loose', touches });
    expect(evaluate(customer, 'marketing', sh('2025-04-04 10:00'), policy)).toEqual({
      allowed: false, reasons: ['PLATFORM_QUOTA'], nextAllowedAt: sh('2025-04-07 00:00'),
    });
    // The previous week's messages do not count: six in March 24–30 leave room on Sunday.
    const lastWeek = state({ tier: 'loose', touches: days('2025-03', 30).slice(23, 29).map((d) => mass(d)) });
    expect(evaluate(lastWeek, 'marketing', sh('2025-03-30 23:00'), policy)).toEqual({ allowed: true });
    expect(remainingBudget(lastWeek, 'marketing', sh('2025-03-30 23:00'), policy).week).toBe(1);
  });

  it('should allow one per Beijing day: 23:59 on March 31 is full, 00:00 on April 1 is open', () => {
    const policy = policyWith('one_per_day', corpZone);
    const customer = state({ tier: 'loose', touches: [mass('2025-03-31 00:30', 'member_mass')] });
    expect(evaluate(customer, 'marketing', sh('2025-03-31 23:59'), policy)).toEqual({
      allowed: false, reasons: ['PLATFORM_QUOTA'], nextAllowedAt: sh('2025-04-01 00:00'),
    });
    expect(evaluate(customer, 'marketing', sh('2025-04-01 00:00'), policy)).toEqual({ allowed: true });
    expect(remainingBudget(customer, 'marketing', sh('2025-03-31 23:59'), policy).day).toBe(0);
  });
});

describe('pressure platform quota scope', () => {
  it('should not count 1:1 chats or welcome messages, and not gate them', () => {
    const policy = policyWith('one_per_day');
    const customer = state({ tier: 'loose', touches: [{ at: sh('2025-03-03 08:00'), category: 'care' }, { at: sh('2025-03-03 08:01'), category: 'welcome' }] });
    expect(evaluate(customer, 'marketing', sh('2025-03-03 10:00'), policy)).toEqual({ allowed: true });
    const massed = state({ tier: 'loose', touches: [mass('2025-03-03 08:00')] });
    expect(evaluate(massed, 'care', sh('2025-03-03 10:00'), policy)).toEqual({ allowed: true });
    expect(evaluate(massed, { category: 'care', channel: 'corp_mass' }, sh('2025-03-03 10:00'), policy)).toMatchObject({ reasons: ['PLATFORM_QUOTA'] });
  });

  it.each<[MassQuota, string, string, string]>([
    ['days_in_month', '2025-02', '2025-02-28 23:00', '2025-03-01 00:00'],
    ['seven_per_week', '2025-03', '2025-03-30 23:00', '2025-03-31 00:00'],
    ['one_per_day', '2025-03', '2025-03-31 23:00', '2025-04-01 00:00'],
  ])('should apply %s to a customer group by its own posts', (quota, month, at, reopens) => {
    const policy = policyWith(quota);
    const n = quota === 'days_in_month' ? 28 : quota === 'seven_per_week' ? 7 : 1;
    const all = days(month, 31).filter((d) => d.startsWith(month) && Date.parse(sh(d).toISOString()) < sh(at).getTime());
    const group = state({ id: 'wr-group', touches: all.slice(-n).map(post) });
    expect(evaluate(group, 'group_content', sh(at), policy)).toEqual({ allowed: false, reasons: ['PLATFORM_QUOTA'], nextAllowedAt: sh(reopens) });
    // Customers' mass messages never count against a group.
    const other = state({ id: 'wr-group', touches: all.slice(-n).map((d) => mass(d)) });
    expect(evaluate(other, 'group_content', sh(at), policy)).toEqual({ allowed: true });
  });

  it('should refuse an unknown quota setting with a sentence naming the choices', () => {
    const bad = { ...testPressureConfig, platform: { timeZone: 'Asia/Shanghai', massQuota: 'four_per_month' } };
    const { PressureConfigSchema } = jest.requireActual('../../src/pressure');
    const r = PressureConfigSchema.safeParse(bad);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error.issues)).toContain('days_in_month, seven_per_week, one_per_day');
  });

  it('should default to days_in_month when the setting is left out', () => {
    const { PressureConfigSchema } = jest.requireActual('../../src/pressure');
    const r = PressureConfigSchema.parse({ ...testPressureConfig, platform: { timeZone: 'Asia/Shanghai' } });
    expect(r.platform.massQuota).toBe('days_in_month');
  });
});
