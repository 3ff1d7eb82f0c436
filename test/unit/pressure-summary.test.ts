import { describePressure, remainingBudget, Touch } from '../../src/pressure';
import { sh, state, testPolicy } from './support/fixtures';

const policy = testPolicy();
const care = (local: string): Touch => ({ at: sh(local), category: 'care' });

describe('describePressure', () => {
  it('should say how many proactive contacts are left this week', () => {
    const sut = describePressure(state({ touches: [care('2025-03-03 10:00')] }), sh('2025-03-04 10:00'), policy);
    expect(sut.tone).toBe('open');
    expect(sut.headline).toBe('本周还可主动联系 2 次');
    expect(sut.lines).toContain('本月还可推送营销 2 次');
  });

  it('should give the next time of day when the gap is still running', () => {
    const sut = describePressure(state({ touches: [care('2025-03-05 10:00')] }), sh('2025-03-05 11:00'), policy);
    expect(sut).toMatchObject({ tone: 'wait', headline: '下次可联系：今天 12:00', nextAllowedAt: sh('2025-03-05 12:00') });
  });

  it('should name tomorrow morning when quiet hours start first', () => {
    const sut = describePressure(state(), sh('2025-03-05 22:00'), policy);
    expect(sut.headline).toBe('下次可联系：明天 09:00');
  });

  it('should name the weekday when the weekly budget is spent', () => {
    const touches = [care('2025-03-03 10:00'), care('2025-03-04 10:00'), care('2025-03-05 10:00')];
    const sut = describePressure(state({ touches, lastInboundAt: sh('2025-03-05 12:00') }), sh('2025-03-06 10:00'), policy);
    expect(sut.headline).toBe('下次可联系：周一 09:00');
  });

  it('should ask for space while a complaint is being handled', () => {
    const sut = describePressure(state({ complaint: { openSince: sh('2025-03-04 10:00'), lastClosedAt: null } }), sh('2025-03-05 10:00'), policy);
    expect(sut).toMatchObject({ tone: 'paused', headline: '暂不打扰：投诉处理中', nextAllowedAt: null });
  });

  it('should wait for the customer after four unanswered touches', () => {
    const touches = ['2025-02-03', '2025-02-10', '2025-02-17', '2025-02-24'].map((d) => care(`${d} 10:00`));
    const sut = describePressure(state({ touches }), sh('2025-03-05 10:00'), policy);
    expect(sut.headline).toBe('暂不打扰：连续 4 次未回复，等客户先开口');
  });

  it('should mention the service window and the marketing cooldown', () => {
    const sut = describePressure(
      state({ lastInboundAt: sh('2025-03-05 07:00'), complaint: { openSince: null, lastClosedAt: sh('2025-03-01 15:00') } }),
      sh('2025-03-05 10:00'),
      policy,
    );
    expect(sut.lines).toEqual(['客户 3 小时前来消息：回复不受限制', '营销暂停：投诉冷静期至 3月8日']);
  });

  it('should mention a lengthened gap after unanswered touches', () => {
    const touches = [care('2025-03-03 10:00'), care('2025-03-04 10:00')];
    const sut = describePressure(state({ touches }), sh('2025-03-05 10:00'), policy);
    expect(sut.lines).toContain('已连续 2 次未回复，联系间隔已加长');
  });

  it('should say a deleted customer cannot be contacted', () => {
    const sut = describePressure(state({ relation: 'deleted_by_customer' }), sh('2025-03-05 10:00'), policy);
    expect(sut).toMatchObject({ tone: 'ended', headline: '已解除好友关系，无法联系' });
  });
});

describe('remainingBudget', () => {
  it('should never cap service', () => {
    expect(remainingBudget(state({ touches: [care('2025-03-03 10:00')] }), 'service', sh('2025-03-03 11:00'), policy)).toEqual({
      day: null,
      week: null,
      month: null,
    });
  });

  it('should take the tighter of the category and proactive caps', () => {
    const sut = remainingBudget(state({ touches: [care('2025-03-03 10:00')] }), 'care', sh('2025-03-03 11:00'), policy);
    expect(sut).toEqual({ day: 1, week: 2, month: 4 });
  });

  it('should bound the budget by WeCom\'s mass quota (days in the month, corp and member mass together)', () => {
    // 2025-03 has 31 days; 18 corp and 10 member mass messages leave 3.
    const touches: Touch[] = Array.from({ length: 28 }, (_, i) => ({
      at: sh(`2025-03-${String(i % 19 + 1).padStart(2, '0')} 0${i % 9}:00`), category: 'marketing', channel: i < 18 ? 'corp_mass' : 'member_mass',
    }));
    const sut = remainingBudget(state({ tier: 'loose', touches }), 'marketing', sh('2025-03-20 10:00'), policy);
    expect(sut).toEqual({ day: 3, week: 3, month: 3 });
  });

  it('should not go below zero', () => {
    const touches = [care('2025-03-03 10:00'), care('2025-03-03 11:00'), care('2025-03-03 12:00')];
    expect(remainingBudget(state({ touches }), 'care', sh('2025-03-03 13:00'), policy).day).toBe(0);
  });
});
