import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WecomApiError, WecomOutcomeUnknownError, WecomRateLimitError } from '../../src/wecom/errors';
import {
  dayOf, DEFAULT_OUTBOX_CONFIG, drawsOf, freeAt, judgeFailure, loadOutboxConfig, paceKeyOf, pauseMs, withinDuplicateWindow,
} from '../../src/outbox/policy';

/** The outbox's pure rules, with fixed instants. */
describe('outbox policy', () => {
  it('counts the rep\'s day in the corp time zone', () => {
    // 2026-03-02 23:59 and 2026-03-03 00:00 in Shanghai are 15:59 and 16:00 UTC.
    expect(dayOf(Date.parse('2026-03-02T15:59:59Z'), 'Asia/Shanghai')).toEqual({ start: Date.parse('2026-03-01T16:00:00Z'), end: Date.parse('2026-03-02T16:00:00Z'), label: '2026-03-02' });
    expect(dayOf(Date.parse('2026-03-02T16:00:00Z'), 'Asia/Shanghai').label).toBe('2026-03-03');
    expect(dayOf(Date.parse('2026-03-02T16:00:00Z'), 'UTC').label).toBe('2026-03-02');
  });

  it('a full window frees when the draw `limit` places back leaves it, plus the margin', () => {
    expect(freeAt(29, 30, null, 60_000, 1_000, 5_000)).toBe(5_000);
    expect(freeAt(30, 30, 1_000, 60_000, 1_000, 5_000)).toBe(62_000);
  });

  it('draws: an app message from its member (per minute and hour) and the endpoint; a robot per robot', () => {
    const app = drawsOf({ kind: 'app_message', toUser: 'u1', message: { msgtype: 'text', text: { content: 'x' } } }, DEFAULT_OUTBOX_CONFIG);
    expect(app.map((d) => [d.key, d.limit, d.windowMs])).toEqual([
      ['member:u1', 30, 60_000], ['member:u1', 1000, 3_600_000], ['api:message/send', 10_000, 60_000], ['api:message/send', 150_000, 3_600_000],
    ]);
    expect(drawsOf({ kind: 'robot', robot: 'ops', message: { msgtype: 'text' } }, DEFAULT_OUTBOX_CONFIG)[0]).toEqual(expect.objectContaining({ key: 'robot:ops', limit: 20 }));
    expect(paceKeyOf({ kind: 'mass_task', chatType: 'group', sender: 's1', text: 't' })).toBe('sender:s1');
  });

  it('an app message in doubt may be resent only while the duplicate check covers it (a minute spare)', () => {
    const c = { ...DEFAULT_OUTBOX_CONFIG, retryHorizonMinutes: 240 };
    expect(withinDuplicateWindow({ doubtSince: 0 }, 4 * 3_600_000 - 60_001, c)).toBe(true);
    expect(withinDuplicateWindow({ doubtSince: 0 }, 4 * 3_600_000 - 60_000, c)).toBe(false);
    expect(withinDuplicateWindow({ doubtSince: null }, 10 * 3_600_000, c)).toBe(true);
  });

  it('judges failures: no answer is unknown, 45009 pauses, a refusal fails with a sentence', () => {
    expect(judgeFailure(new WecomOutcomeUnknownError('message/send', 'timeout'))).toEqual({ kind: 'unknown', errcode: null });
    expect(judgeFailure(new WecomRateLimitError('message/send', 45009, 60_000))).toEqual({ kind: 'pause', retryAfterMs: 60_000, errcode: 45009 });
    expect(judgeFailure(new WecomApiError('message/send', 81013, 'user & party & tag all invalid'))).toEqual({
      kind: 'failed', errcode: 81013, reason: expect.stringMatching(/^WeCom found no valid recipient \(81013\)/),
    });
  });

  it('pauses double per consecutive pause up to the cap, and never come back before WeCom\'s hint', () => {
    const c = { ...DEFAULT_OUTBOX_CONFIG, backoff: { baseSeconds: 2, maxMinutes: 1 } };
    expect(pauseMs(0, null, c, () => 0.5)).toBe(2_000);
    expect(pauseMs(3, null, c, () => 0.5)).toBe(16_000);
    expect(pauseMs(10, null, c, () => 0.5)).toBe(60_000);
    expect(pauseMs(0, 30_000, c, () => 0)).toBe(30_000);
  });

  it('a bad config/outbox.json stops start-up with a sentence naming the field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-config-'));
    const file = path.join(dir, 'outbox.json');
    fs.writeFileSync(file, JSON.stringify({ ...DEFAULT_OUTBOX_CONFIG, repDailyCap: 0, retryHorizonMinutes: 600 }));
    expect(() => loadOutboxConfig(file)).toThrow(/outbox\.json: repDailyCap .*; retryHorizonMinutes .*240/);
    fs.writeFileSync(file, '{ nope');
    expect(() => loadOutboxConfig(file)).toThrow(/outbox\.json is not valid JSON/);
    expect(loadOutboxConfig(path.join(dir, 'missing.json'))).toEqual(DEFAULT_OUTBOX_CONFIG);
    expect(loadOutboxConfig()).toEqual(expect.objectContaining({ repDailyCap: expect.any(Number) }));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
