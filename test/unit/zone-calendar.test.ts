import { ZoneCalendar } from '../../src/policy/zone-calendar';

describe('ZoneCalendar', () => {
  it('should start weeks on Monday at local midnight', () => {
    const sut = new ZoneCalendar('Asia/Shanghai');
    const w = sut.windows(Date.parse('2025-03-05T10:00:00+08:00')); // a Wednesday
    expect(new Date(w.weekStart)).toEqual(new Date('2025-03-03T00:00:00+08:00'));
    expect(new Date(w.weekEnd)).toEqual(new Date('2025-03-10T00:00:00+08:00'));
    expect(new Date(w.dayStart)).toEqual(new Date('2025-03-05T00:00:00+08:00'));
  });

  it('should make the spring-forward day 23 hours long', () => {
    const sut = new ZoneCalendar('America/Los_Angeles');
    const w = sut.windows(Date.parse('2025-03-09T12:00:00-07:00'));
    expect(w.dayEnd - w.dayStart).toBe(23 * 3_600_000);
    expect(new Date(w.monthStart)).toEqual(new Date('2025-03-01T00:00:00-08:00'));
    expect(new Date(w.monthEnd)).toEqual(new Date('2025-04-01T00:00:00-07:00'));
  });

  it('should roll a year-end week into January', () => {
    const sut = new ZoneCalendar('Asia/Shanghai');
    const w = sut.windows(Date.parse('2024-12-31T23:59:00+08:00')); // a Tuesday
    expect(new Date(w.weekEnd)).toEqual(new Date('2025-01-06T00:00:00+08:00'));
    expect(new Date(w.monthEnd)).toEqual(new Date('2025-01-01T00:00:00+08:00'));
  });

  it('should find the next local clock time strictly after an instant', () => {
    const sut = new ZoneCalendar('Asia/Shanghai');
    const nine = 9 * 60;
    expect(new Date(sut.nextLocalTime(Date.parse('2025-03-05T08:00:00+08:00'), nine))).toEqual(new Date('2025-03-05T09:00:00+08:00'));
    expect(new Date(sut.nextLocalTime(Date.parse('2025-03-05T09:00:00+08:00'), nine))).toEqual(new Date('2025-03-06T09:00:00+08:00'));
  });

  it('should report local minute of day and ISO weekday', () => {
    const sut = new ZoneCalendar('America/Los_Angeles');
    const t = Date.parse('2025-03-03T10:30:00+08:00'); // Sunday 18:30 in Los Angeles
    expect(sut.minuteOfDay(t)).toBe(18 * 60 + 30);
    expect(sut.weekday(t)).toBe(7);
  });

  it('should reject an unknown time zone', () => {
    expect(() => new ZoneCalendar('Mars/Olympus')).toThrow('Unknown time zone "Mars/Olympus"');
  });
});
