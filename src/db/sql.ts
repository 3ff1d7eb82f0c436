import type { Sql } from './database';

/** Small portable SQL helpers for the few statements whose syntax differs between dialects. */

/**
 * Inserts rows, skipping any that collide with a unique key; returns how many were inserted.
 * Only a duplicate key is ignored: any other error still throws (unlike INSERT IGNORE).
 */
export async function insertIgnoringDuplicates(
  db: Sql,
  table: string,
  columns: string[],
  rows: unknown[][],
  conflictColumns: string[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const q = (id: string) => quote(db, id);
  const tuple = '(' + columns.map(() => '?').join(',') + ')';
  const values = rows.map(() => tuple).join(',');
  const cols = columns.map(q).join(',');
  const sql =
    db.dialect === 'mysql'
      ? `INSERT INTO ${q(table)} (${cols}) VALUES ${values} ON DUPLICATE KEY UPDATE ${q(columns[0])} = ${q(columns[0])}`
      : `INSERT INTO ${q(table)} (${cols}) VALUES ${values} ON CONFLICT (${conflictColumns.map(q).join(',')}) DO NOTHING`;
  return db.exec(sql, rows.flat());
}

export function quote(db: Sql, identifier: string): string {
  return db.dialect === 'mysql' ? '`' + identifier + '`' : '"' + identifier + '"';
}

export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(',');
}

/** Numeric columns (BIGINT ids, epoch-ms instants) may come back as strings; make them numbers. */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/**
 * Inserts rows or, when the conflict key exists, overwrites `updateColumns` with the new values,
 * in one statement on both dialects. Returns the driver's changed-row count (on MySQL an update
 * counts 2 and an unchanged row 0, so only "zero or not" is portable).
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
  const head = `INSERT INTO ${q(table)} (${columns.map(q).join(',')}) VALUES ${rows.map(() => tuple).join(',')}`;
  const sql =
    db.dialect === 'mysql'
      ? `${head} ON DUPLICATE KEY UPDATE ${updateColumns.map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}`
      : `${head} ON CONFLICT (${conflictColumns.map(q).join(',')}) DO UPDATE SET ${updateColumns.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}`;
  return db.exec(sql, rows.flat());
}

/** Splits a list for IN (...) queries that stay well under every driver's parameter limit. */
export function chunks<T>(items: T[], size = 1000): T[][] {
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
