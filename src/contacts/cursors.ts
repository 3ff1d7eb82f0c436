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

/**
 * How long a row may stay invisible after it got its id or stamp. On MySQL an auto-increment id,
 * and the `now` a writer stamps into created_at/updated_at, are taken when the row is written but
 * the row is only seen once its transaction commits — so rows appear out of id and stamp order, and
 * a cursor that jumps to the highest id or stamp it has seen skips a slower transaction's row for
 * ever. The cursors below re-read this much behind what they saw, so the margin must be longer than
 * any Fencun transaction stays open plus the time between a writer reading its clock and committing
 * (an inbox handler stamps with its claim time and may wait out several 10 s WeCom timeouts first)
 * plus clock skew between instances. Nothing in Fencun holds a transaction for minutes; ten is a
 * wide berth that costs a re-read of ten minutes of rows per run.
 */
export const LATE_COMMIT_MARGIN_MS = 10 * 60_000;

/**
 * A cursor over auto-increment ids that a late commit cannot slip under. Each scan notes the
 * highest id it could see; a row with a lower id that it could not see belonged to a transaction
 * open at that moment, so it is committed within the margin. The floor — below which nothing is
 * read again — therefore only moves up to the highest id of a scan at least a margin older than
 * the current one, and every scan re-reads (floor, max id]. The work done per row must be
 * idempotent (it is repeated for every row in the trailing window).
 */
export interface IdTrail {
  /** Every row with id <= floor is visible and was read by a scan after it became visible. */
  floor: number;
  /** The highest id each recent scan saw, oldest first; the floor moves to one once it is a margin old. */
  marks: { at: number; maxId: number }[];
}

/** The trail after a scan at `at` that saw ids up to `maxId`: a pure rule, time passed in. */
export function advanceIdTrail(trail: IdTrail, at: number, maxId: number, margin = LATE_COMMIT_MARGIN_MS): IdTrail {
  const last = trail.marks[trail.marks.length - 1];
  // An older mark with the same max id frees the floor sooner; only a higher id needs a new mark.
  const marks = !last || maxId > last.maxId ? [...trail.marks, { at, maxId }] : trail.marks;
  let floor = trail.floor;
  const kept: IdTrail['marks'] = [];
  for (const m of marks) {
    if (m.at <= at - margin) floor = Math.max(floor, m.maxId);
    else if (m.maxId > floor) kept.push(m);
  }
  return { floor, marks: kept.filter((m) => m.maxId > floor) };
}

/** The highest id any scan has seen (rows above it are new, below it only re-checked). */
export function idTrailHighWater(trail: IdTrail): number {
  return Math.max(trail.floor, ...trail.marks.map((m) => m.maxId));
}

/**
 * Reads an id trail. A plain number is the cursor of an older release (the highest id read):
 * it becomes the floor, which is the best that can be said of it.
 */
export async function readIdTrail(db: Sql, name: string): Promise<IdTrail> {
  const v = await readCursor<IdTrail | number>(db, name);
  if (v === null) return { floor: 0, marks: [] };
  if (typeof v === 'number') return { floor: v, marks: [] };
  return { floor: Number(v.floor) || 0, marks: Array.isArray(v.marks) ? v.marks : [] };
}
