import {
  applyComplaintAction,
  Complaint,
  ComplaintAction,
  complaintPressure,
  detectComplaint,
  openComplaint,
} from '../../src/complaints/policy';
import { defaults } from './support/fixtures';

const config = defaults.complaints;

describe('detectComplaint', () => {
  it('should suggest a high-severity complaint with keywords in order of appearance', () => {
    const sut = detectComplaint('你们就是骗子吧，我要去投诉！', config);
    expect(sut).toEqual({
      severity: 'high',
      keywords: ['骗子', '投诉'],
      label: '可能是投诉（提到：骗子、投诉），请确认',
      excerpt: '你们就是骗子吧，我要去投诉！',
    });
  });

  it.each([
    ['不满意，我要退货', 'normal', ['不满意', '退货']],
    ['再不处理我就打１２３１５', 'high', ['12315']],
    ['给差评了，退款退款退款', 'high', ['差评', '退款']],
  ])('should flag %s', (text, severity, keywords) => {
    expect(detectComplaint(text, config)).toMatchObject({ severity, keywords });
  });

  it.each(['东西收到了，挺好的', '退款已到账，谢谢你', '我不是投诉，就是问问怎么用', '放心，不会给差评的', ''])(
    'should stay quiet on %j',
    (text) => {
      expect(detectComplaint(text, config)).toBeNull();
    },
  );

  it('should still flag a keyword outside an ignore phrase in the same message', () => {
    expect(detectComplaint('不是投诉，但是真的很不满意', config)?.keywords).toEqual(['不满意']);
  });

  it('should keep the excerpt short and around the first match', () => {
    const text = '这是一段很长很长的开场白，用来说明情况，'.repeat(3) + '所以我要投诉你们' + '后面还有很多很多字'.repeat(5);
    const sut = detectComplaint(text, config)!;
    expect([...sut.excerpt].length).toBeLessThanOrEqual(41);
    expect(sut.excerpt.startsWith('…')).toBe(true);
    expect(sut.excerpt).toContain('投诉');
  });
});

describe('complaint state rules', () => {
  const opened = new Date('2025-03-03T10:00:00+08:00');
  const later = new Date('2025-03-04T10:00:00+08:00');
  const flagged = openComplaint({ id: 'cp-1', customerId: 'wm-1', source: 'keyword' }, opened);
  const confirmed = (applyComplaintAction(flagged, { type: 'confirm', by: 'zhangsan' }, later) as { complaint: Complaint }).complaint;
  const closed = (
    applyComplaintAction(confirmed, { type: 'close', by: 'zhangsan', resolution: 'refunded', note: '已全额退款' }, later) as { complaint: Complaint }
  ).complaint;

  it('should open unconfirmed and confirm on a rep\'s word', () => {
    expect(flagged.status).toBe('open');
    expect(confirmed).toMatchObject({ status: 'confirmed', confirmedBy: 'zhangsan', confirmedAt: later });
  });

  it('should close with a resolution', () => {
    expect(closed).toMatchObject({ status: 'closed', closedAt: later, resolution: { code: 'refunded', note: '已全额退款' } });
  });

  it.each<[string, Complaint, ComplaintAction, string]>([
    ['confirm twice', confirmed, { type: 'confirm', by: 'x' }, 'INVALID_TRANSITION'],
    ['close twice', closed, { type: 'close', by: 'x', resolution: 'resolved', note: '好了' }, 'INVALID_TRANSITION'],
    ['dismiss a confirmed complaint', confirmed, { type: 'close', by: 'x', resolution: 'not_a_complaint', note: '' }, 'INVALID_TRANSITION'],
    ['close without saying how', confirmed, { type: 'close', by: 'x', resolution: 'resolved', note: '  ' }, 'RESOLUTION_NOTE_REQUIRED'],
    ['reopen an open complaint', flagged, { type: 'reopen', by: 'x' }, 'INVALID_TRANSITION'],
  ])('should refuse to %s', (_, complaint, action, code) => {
    expect(applyComplaintAction(complaint, action, later)).toMatchObject({ ok: false, code });
  });

  it('should refuse an action dated before the complaint', () => {
    expect(applyComplaintAction(flagged, { type: 'confirm', by: 'x' }, new Date(opened.getTime() - 1))).toMatchObject({ ok: false, code: 'TIME_BEFORE_OPENED' });
  });

  it('should let a rep dismiss a false alarm without a note', () => {
    expect(applyComplaintAction(flagged, { type: 'close', by: 'x', resolution: 'not_a_complaint', note: '' }, later)).toMatchObject({
      ok: true,
      complaint: { status: 'closed', resolution: { code: 'not_a_complaint' } },
    });
  });

  it('should reopen a closed complaint as confirmed when it had been confirmed', () => {
    expect(applyComplaintAction(closed, { type: 'reopen', by: 'x' }, later)).toMatchObject({
      ok: true,
      complaint: { status: 'confirmed', closedAt: null, resolution: null },
    });
  });

  it('should give pressure the open complaint and the last real close', () => {
    const dismissed = { ...flagged, id: 'cp-2', status: 'closed' as const, closedAt: new Date('2025-03-09T10:00:00+08:00'), resolution: { code: 'not_a_complaint' as const, note: '' } };
    const resolution = closed.resolution!.code;
    expect(complaintPressure([closed, dismissed])).toEqual({ openSince: null, lastClosedAt: later, unconfirmed: false, lastClosedResolution: resolution });
    expect(complaintPressure([closed, { ...flagged, id: 'cp-3', openedAt: later }]))
      .toEqual({ openSince: later, lastClosedAt: later, unconfirmed: true, lastClosedResolution: resolution });
    expect(complaintPressure([])).toEqual({ openSince: null, lastClosedAt: null, unconfirmed: false, lastClosedResolution: null });
  });

  it('should call a complaint in progress unconfirmed only while no open one has been confirmed', () => {
    const suggested = { ...flagged, id: 'cp-4' };
    const taken = { ...confirmed, id: 'cp-5' };
    expect(complaintPressure([suggested]).unconfirmed).toBe(true);
    expect(complaintPressure([suggested, taken]).unconfirmed).toBe(false);
    expect(complaintPressure([taken]).unconfirmed).toBe(false);
  });

  it('should remember how the latest real complaint ended, not an earlier one', () => {
    const early = { ...closed, id: 'cp-6', closedAt: new Date('2025-03-07T10:00:00+08:00'), resolution: { code: 'compensated' as const, note: '补发' } };
    const refunded = { ...closed, id: 'cp-7', closedAt: new Date('2025-03-09T10:00:00+08:00'), resolution: { code: 'refunded' as const, note: '已全额退款' } };
    expect(complaintPressure([refunded, early]).lastClosedResolution).toBe('refunded');
    expect(complaintPressure([early, refunded]).lastClosedResolution).toBe('refunded');
  });
});
