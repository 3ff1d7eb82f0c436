import type { Sql } from '../db/database';
import { num } from '../db/sql';
import type { FollowUpType } from './wording';

/**
 * Follow-up records are notes with a kind (notes.follow_type) and, optionally, the next follow-up
 * the rep planned (notes.next_follow_up_at): they sit in the timeline with the other notes.
 * The reminder for the next follow-up is the reminders module's (kind follow_up, one per record).
 */

export const FOLLOW_UP_REMINDER_KIND = 'follow_up';

export interface NewFollowUp {
  externalUserId: string;
  userId: string;
  type: FollowUpType;
  text: string;
  nextAt: number | null;
  at: number;
}

export async function addFollowUp(tx: Sql, f: NewFollowUp): Promise<number> {
  await tx.exec(
    `INSERT INTO notes (external_user_id, user_id, text, is_complaint, follow_type, next_follow_up_at, created_at, updated_at)
     VALUES (?,?,?,0,?,?,?,?)`, [f.externalUserId, f.userId, f.text, f.type, f.nextAt, f.at, f.at]);
  // This connection's own insert (another record of the same instant may commit meanwhile).
  const [row] = await tx.query<{ id: unknown }>(tx.dialect === 'mysql' ? 'SELECT LAST_INSERT_ID() AS id' : 'SELECT last_insert_rowid() AS id');
  return num(row.id);
}

/**
 * Closes the rep's open follow-up reminders on this customer that a new record fulfils: every one
 * when the record plans a new next follow-up (the new plan replaces the old), else those due by
 * `dueBy` (the follow-up that was planned for today or earlier has now happened).
 */
export async function closeFulfilledFollowUps(tx: Sql, userId: string, externalUserId: string, dueBy: number | null, now: number): Promise<number> {
  return tx.exec(
    `UPDATE reminders SET status = 'done', done_at = ?, done_by = ?, updated_at = ?
     WHERE user_id = ? AND external_user_id = ? AND kind = ? AND status = 'open'${dueBy === null ? '' : ' AND due_at <= ?'}`,
    [now, userId, now, userId, externalUserId, FOLLOW_UP_REMINDER_KIND, ...(dueBy === null ? [] : [dueBy])]);
}
