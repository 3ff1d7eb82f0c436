import type { Sql } from '../db/database';
import { quote } from '../db/sql';

/**
 * INSERT … or UPDATE the listed columns when a unique key collides, in one statement on both
 * dialects. Returns the driver's changed-row count (MySQL: 1 inserted, 2 updated, 0 unchanged).
 */
export async function upsertRows(
  db: Sql,
  table: string,
  columns: string[],
  rows: unknown[][],
  conflictColumns: string[],
  updateColumns: string[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const q = (id: string) => quote(db, id);
  const tuple = '(' + columns.map(() => '?').join(',') + ')';
  const values = rows.map(() => tuple).join(',');
  const head = `INSERT INTO ${q(table)} (${columns.map(q).join(',')}) VALUES ${values}`;
  const sql =
    db.dialect === 'mysql'
      ? `${head} ON DUPLICATE KEY UPDATE ${updateColumns.map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}`
      : `${head} ON CONFLICT (${conflictColumns.map(q).join(',')}) DO UPDATE SET ${updateColumns.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}`;
  return db.exec(sql, rows.flat());
}

/** Splits a list into chunks (IN lists and multi-row inserts stay well under driver limits). */
export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** MySQL's deadlock and lock-wait errors: the transaction was rolled back and may simply be retried. */
export function isLockConflict(err: unknown): boolean {
  const e = err as { errno?: number; driverError?: { errno?: number } };
  const errno = e?.errno ?? e?.driverError?.errno;
  return errno === 1213 || errno === 1205;
}

/** Runs fn again (up to `attempts` times) when MySQL picked it as a deadlock victim. */
export async function retryOnLockConflict<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isLockConflict(err)) throw err;
      await new Promise((r) => setTimeout(r, 20 * i + Math.random() * 30));
    }
  }
}
