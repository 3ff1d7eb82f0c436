import { DateTime } from 'luxon';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import { retryOnLockConflict } from '../db/sql';
import { insertReminders } from '../reminders/repository';
import { ZoneCalendar } from '../policy/zone-calendar';
import { addFollowUp, closeFulfilledFollowUps, FOLLOW_UP_REMINDER_KIND } from './repository';
import { FOLLOW_UP_LABELS, type FollowUpType } from './wording';

/**
 * A follow-up record (微信, 电话, 到店, 拜访) with an optional next follow-up. The next follow-up
 * becomes a reminder for the rep who wrote it, a row of the reminders module (one per record:
 * its cause is the record), due at the time the rep chose. A new record closes the rep's
 * follow-up reminders it fulfils (see closeFulfilledFollowUps).
 */

const DAY = 86_400_000;
/** A plan further out than this is a wish, not a follow-up. */
const MAX_AHEAD_DAYS = 366;

export interface FollowUpDeps {
  db: Database;
  clock: Clock;
  timeZone: string;
}

export interface FollowUpInput {
  type: FollowUpType;
  text: string;
  /** "2025-03-08T10:00" (corp time, what a datetime-local input gives), or ISO 8601 with an offset. */
  nextAt?: string | null;
}

export class FollowUps {
  constructor(private readonly d: FollowUpDeps) {}

  /** Parses and checks the next follow-up time; a Chinese sentence (400) when it cannot be used. */
  nextInstant(raw: string | null | undefined, now: number): number | null {
    if (raw === undefined || raw === null || raw.trim() === '') return null;
    const s = raw.trim();
    const local = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(s);
    const dt = local
      ? DateTime.fromObject({ year: +local[1], month: +local[2], day: +local[3], hour: +local[4], minute: +local[5] }, { zone: this.d.timeZone })
      : /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? DateTime.fromISO(s) : null;
    if (!dt || !dt.isValid) throw bad('下次跟进时间的格式不对，请选日期和时间，例如 2025-03-08 10:00');
    const at = dt.toMillis();
    if (at <= now) throw bad('下次跟进时间已经过去了，请选一个以后的时间');
    if (at > now + MAX_AHEAD_DAYS * DAY) throw bad('下次跟进最多约在一年以内');
    return at;
  }

  async record(externalUserId: string, userId: string, input: FollowUpInput, o: { relationEnded: boolean }): Promise<{ id: number; reminder: boolean }> {
    const now = this.d.clock().getTime();
    const nextAt = this.nextInstant(input.nextAt, now);
    // The reminders of an ended relation are closed by the care run: a plan for it would vanish.
    if (nextAt !== null && o.relationEnded) {
      throw new AppError('RELATION_ENDED', '客户已不是你的好友，不能再约下次跟进；跟进记录可以照常保存', { status: 409 });
    }
    const text = input.text.trim();
    const cal = new ZoneCalendar(this.d.timeZone);
    const endOfToday = cal.instantOnLocalDay(cal.localDay(now) + 1, 0);
    const label = FOLLOW_UP_LABELS[input.type];
    // The record, the plans it fulfils and the reminder it makes land together. Closing before
    // inserting, under the transaction's locks (the closing UPDATE locks the rep's follow-up rows
    // on MySQL; SQLite runs one writer), leaves one open plan however many records race.
    return retryOnLockConflict(() => this.d.db.transaction(async (tx) => {
      const id = await addFollowUp(tx, { externalUserId, userId, type: input.type, text, nextAt, at: now });
      await closeFulfilledFollowUps(tx, userId, externalUserId, nextAt === null ? endOfToday - 1 : null, now);
      if (nextAt === null) return { id, reminder: false };
      const created = await insertReminders(tx, [{
        externalUserId, userId, kind: FOLLOW_UP_REMINDER_KIND, ruleKey: `follow_up:${id}`,
        title: `${label}跟进：${clip(text, 24)}`, message: null, dueAt: nextAt,
        reason: `你在${label}跟进记录里约好了这次跟进`,
      }], now);
      return { id, reminder: created === 1 };
    }), 6);
  }
}

function bad(message: string): AppError {
  return new AppError('INVALID_FOLLOW_UP', message, { status: 400 });
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? one.slice(0, n) + '…' : one;
}
