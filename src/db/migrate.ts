import fs from 'node:fs';
import type { DataSource } from 'typeorm';
import type { Log } from '../log';
import { dialectOf } from './data-source';

const LOCK_NAME = 'fencun_migrations';
const LOCK_WAIT_SECONDS = 120;

/**
 * Applies pending migrations under a database-wide lock, so several instances can start at once:
 * the first applies them, the others wait and then find nothing to do.
 * MySQL/MariaDB: GET_LOCK on a dedicated connection (released automatically if the process dies).
 * SQLite: an exclusive lock file beside the database (a stale one from a dead process is taken over).
 */
export async function migrateWithLock(ds: DataSource, log: Log): Promise<string[]> {
  return withMigrationLock(ds, log, async () => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    for (const m of applied) log.info({ migration: m.name }, 'migration applied');
    if (applied.length === 0) log.info('database schema is up to date');
    return applied.map((m) => m.name);
  });
}

export async function pendingMigrations(ds: DataSource): Promise<boolean> {
  return ds.showMigrations();
}

async function withMigrationLock<T>(ds: DataSource, log: Log, fn: () => Promise<T>): Promise<T> {
  if (dialectOf(ds) === 'mysql') {
    const qr = ds.createQueryRunner();
    try {
      const [row] = await qr.query('SELECT GET_LOCK(?, ?) AS got', [LOCK_NAME, LOCK_WAIT_SECONDS]);
      if (Number(row.got) !== 1) {
        throw new Error(`another instance has held the migration lock for over ${LOCK_WAIT_SECONDS}s; is a migration stuck?`);
      }
      try {
        return await fn();
      } finally {
        await qr.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
      }
    } finally {
      await qr.release();
    }
  }
  const file = (ds.options.database as string) + '.migrate-lock';
  if (ds.options.database === ':memory:') return fn();
  const release = await acquireLockFile(file, log);
  try {
    return await fn();
  } finally {
    release();
  }
}

async function acquireLockFile(file: string, log: Log): Promise<() => void> {
  const deadline = Date.now() + LOCK_WAIT_SECONDS * 1000;
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isStale(file)) {
      log.warn({ file }, 'removing a migration lock left by a process that is no longer running');
      fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`migration lock ${file} is held by another process; remove it if no Fencun is running`);
    if (!announced) log.info({ file }, 'waiting for another instance to finish migrating');
    announced = true;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isStale(file: string): boolean {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8'));
    if (!pid) return Date.now() - fs.statSync(file).mtimeMs > 10_000;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ESRCH' || code === 'ENOENT';
  }
}
