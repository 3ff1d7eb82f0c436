import { upsertRows } from '../db/sql';
import type { Sql } from '../db/database';

/**
 * Named positions that must survive a restart: a KF sync cursor per open_kfid, the reconcile's
 * progress, the archive watermark. Values are JSON.
 */
export async function readCursor<T>(db: Sql, name: string): Promise<T | null> {
  const rows = await db.query<{ value: string | null }>('SELECT value FROM data_cursors WHERE name = ?', [name]);
  const v = rows[0]?.value;
  return v === undefined || v === null ? null : (JSON.parse(v) as T);
}

export async function writeCursor(db: Sql, name: string, value: unknown, now: number): Promise<void> {
  await upsertRows(db, 'data_cursors', ['name', 'value', 'updated_at'], [[name, JSON.stringify(value), now]], ['name'], ['value', 'updated_at']);
}

export async function deleteCursor(db: Sql, name: string): Promise<void> {
  await db.exec('DELETE FROM data_cursors WHERE name = ?', [name]);
}
