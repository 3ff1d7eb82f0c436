import { parseSchedule, slotKey, slotTime } from '../../src/jobs/schedule';

describe('job schedules', () => {
  it.each([
    // expression, zone, at, latest slot at or before it
    ['*/5 * * * *', 'Asia/Shanghai', '2026-03-02T10:07:59+08:00', '2026-03-02T02:05:00.000Z'],
    ['*/5 * * * *', 'Asia/Shanghai', '2026-03-02T10:05:00+08:00', '2026-03-02T02:05:00.000Z'],
    ['* * * * *', 'Asia/Shanghai', '2026-03-02T10:01:05.900+08:00', '2026-03-02T02:01:00.000Z'],
    ['0 9 * * *', 'Asia/Shanghai', '2026-03-02T08:59:59+08:00', '2026-03-01T01:00:00.000Z'],
    ['0 9 * * *', 'Asia/Shanghai', '2026-03-02T09:00:00+08:00', '2026-03-02T01:00:00.000Z'],
    ['30 1 * * *', 'UTC', '2026-03-02T01:29:00Z', '2026-03-01T01:30:00.000Z'],
    // Mondays at 08:30 (2026-03-02 is a Monday); 7 and 0 are both Sunday.
    ['30 8 * * 1', 'Asia/Shanghai', '2026-03-08T12:00:00+08:00', '2026-03-02T00:30:00.000Z'],
    ['0 0 * * 7', 'Asia/Shanghai', '2026-03-10T12:00:00+08:00', '2026-03-07T16:00:00.000Z'],
    ['0 0 1 * *', 'Asia/Shanghai', '2026-03-31T23:00:00+08:00', '2026-02-28T16:00:00.000Z'],
    ['0 12 29 2 *', 'Asia/Shanghai', '2026-03-02T00:00:00+08:00', '2024-02-29T04:00:00.000Z'],
    // 02:30 does not exist in New York on 2026-03-08 (clocks jump 02:00 → 03:00): no slot that day.
    ['30 2 * * *', 'America/New_York', '2026-03-08T12:00:00-04:00', '2026-03-07T07:30:00.000Z'],
  ])('should find the latest slot of %s (%s) at or before %s', (expression, zone, at, expected) => {
    expect(parseSchedule(expression, zone).previous(new Date(at))?.toISOString()).toBe(expected);
  });

  it('should refuse expressions whose slots are not whole minutes or that it cannot compute', () => {
    expect(() => parseSchedule('not a cron', 'UTC')).toThrow(/invalid cron expression "not a cron"/);
    expect(() => parseSchedule('*/10 * * * * *', 'UTC')).toThrow(/seconds field/);
    expect(() => parseSchedule('0 0 L * *', 'UTC')).toThrow(/tokens such as L, W or # are not supported/);
  });

  it('should key a slot by its UTC minute and read the key back', () => {
    const at = new Date('2026-03-02T09:00:00+08:00');
    expect(slotKey(at)).toBe('2026-03-02T01:00');
    expect(slotTime(slotKey(at))?.toISOString()).toBe('2026-03-02T01:00:00.000Z');
    expect(slotTime('manual:2026-03-02T01:00:00.000Z:abcd1234')).toBeNull();
  });
});
