import type { Sql } from '../db/database';
import { num } from '../db/sql';

/** A rep's note on a customer; `isComplaint` marks what the complaint cooldown keys on. */
export interface Note {
  id: number;
  externalUserId: string;
  userId: string;
  text: string;
  isComplaint: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewNote {
  externalUserId: string;
  userId: string;
  text: string;
  isComplaint?: boolean;
  at: number;
}

export async function addNote(db: Sql, n: NewNote): Promise<Note> {
  const text = n.text.trim();
  if (text === '') throw new Error('a note needs some text');
  await db.exec('INSERT INTO notes (external_user_id, user_id, text, is_complaint, created_at, updated_at) VALUES (?,?,?,?,?,?)',
    [n.externalUserId, n.userId, text, n.isComplaint ? 1 : 0, n.at, n.at]);
  const [row] = await db.query<Record<string, unknown>>(
    'SELECT * FROM notes WHERE external_user_id = ? AND user_id = ? AND created_at = ? ORDER BY id DESC LIMIT 1', [n.externalUserId, n.userId, n.at]);
  return toNote(row);
}

export async function setNoteComplaint(db: Sql, id: number, isComplaint: boolean, now: number): Promise<boolean> {
  return (await db.exec('UPDATE notes SET is_complaint = ?, updated_at = ? WHERE id = ?', [isComplaint ? 1 : 0, now, id])) === 1;
}

export async function findNotesOfCustomer(db: Sql, externalUserId: string, limit = 50): Promise<Note[]> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT * FROM notes WHERE external_user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?', [externalUserId, limit]);
  return rows.map(toNote);
}

/** Complaint notes written since an instant (complaint cooldown, digest). */
export async function findComplaintsSince(db: Sql, since: number): Promise<Note[]> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT * FROM notes WHERE is_complaint = 1 AND created_at >= ? ORDER BY created_at', [since]);
  return rows.map(toNote);
}

function toNote(r: Record<string, unknown>): Note {
  return {
    id: num(r.id), externalUserId: String(r.external_user_id), userId: String(r.user_id), text: String(r.text),
    isComplaint: num(r.is_complaint) === 1, createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}
