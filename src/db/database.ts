import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';

interface MysqlPool {
  query(sql: string, params: unknown[], cb: (err: Error | null, result: unknown) => void): void;
}
import { Dialect, dialectOf } from './data-source';

/** A statement runner: the database itself, or an open transaction. */
export interface Sql {
  readonly dialect: Dialect;
  /** Rows of a SELECT. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a write; returns the number of rows changed. */
  exec(sql: string, params?: unknown[]): Promise<number>;
}

export interface Tx extends Sql {
  readonly manager: EntityManager;
}

/**
 * The one door to the database for Fencun's code. On MySQL it is a thin layer over the pool.
 * On SQLite, TypeORM shares a single connection between all callers, so a transaction left open
 * across an `await` would swallow every other caller's statements (and roll them back with it);
 * here every statement and transaction takes its turn through one queue instead.
 * Inside `transaction(fn)`, use the `tx` it passes, never the Database (that would wait forever).
 */
export class Database implements Sql {
  readonly dialect: Dialect;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(readonly ds: DataSource) {
    this.dialect = dialectOf(ds);
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.dialect === 'mysql') return this.poolQuery(sql, params) as Promise<T[]>;
    return this.serial(() => retryWhileBusy(() => this.ds.query(sql, params)));
  }

  exec(sql: string, params: unknown[] = []): Promise<number> {
    if (this.dialect === 'mysql') return this.poolQuery(sql, params).then((r) => (r as { affectedRows: number }).affectedRows);
    return this.serial(() => retryWhileBusy(() => structured(this.ds.manager, sql, params)));
  }

  /**
   * A single statement outside a transaction, straight on the mysql2 pool TypeORM configured.
   * TypeORM's own path (query runner, broadcaster, logger) costs more than the statement itself
   * for the small, frequent queries of the callback and sidebar paths.
   */
  private poolQuery(sql: string, params: unknown[]): Promise<unknown> {
    const pool = (this.ds.driver as unknown as { pool: MysqlPool }).pool;
    return new Promise((resolve, reject) => {
      pool.query(sql, params, (err, result) => (err ? reject(new QueryFailedError(sql, params, err)) : resolve(result)));
    });
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const txOf = (manager: EntityManager): Tx => ({
      dialect: this.dialect,
      manager,
      query: (sql, params = []) => manager.query(sql, params),
      exec: (sql, params = []) => structured(manager, sql, params),
    });
    if (this.dialect === 'mysql') return this.ds.transaction((manager) => fn(txOf(manager)));
    return this.serial(() => this.sqliteImmediate((manager) => fn(txOf(manager))));
  }

  /**
   * SQLite's default (deferred) transaction reads first and upgrades to a write lock later; when
   * another process wrote in between, the upgrade fails at once with "database is locked" and no
   * busy wait. BEGIN IMMEDIATE takes the write lock up front, waiting its turn (busy timeout).
   */
  private async sqliteImmediate<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    const qr = this.ds.createQueryRunner();
    await retryWhileBusy(() => qr.query('BEGIN IMMEDIATE'));
    // Tell TypeORM a transaction is open so entity operations do not try to begin their own.
    const state = qr as unknown as { isTransactionActive: boolean; transactionDepth: number };
    state.isTransactionActive = true;
    state.transactionDepth = 1;
    try {
      const result = await fn(qr.manager);
      await qr.query('COMMIT');
      return result;
    } catch (err) {
      await qr.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      state.isTransactionActive = false;
      state.transactionDepth = 0;
    }
  }

  /** Runs fn with an EntityManager outside a transaction (entity repositories). */
  withManager<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.serial(() => fn(this.ds.manager));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.dialect === 'mysql') return fn();
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }
}

const BUSY_WAIT_MS = 15_000;

/**
 * better-sqlite3 waits for a lock synchronously, freezing the event loop (and with it the very
 * work that would release the lock, when two connections live in one process). The native busy
 * timeout is kept tiny (data-source.ts) and the waiting happens here, asynchronously. A statement
 * that failed with SQLITE_BUSY did nothing, so running it again is safe.
 */
async function retryWhileBusy<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    }
  }
}

function isBusy(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e.driverError?.code ?? e.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED' || /database is locked/.test(e.message ?? '');
}

async function structured(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const qr = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const r = (await qr.query(sql, params, true)) as { affected?: number; raw?: { affectedRows?: number; changes?: number } };
    return r.affected ?? r.raw?.affectedRows ?? r.raw?.changes ?? 0;
  } finally {
    if (!manager.queryRunner) await qr.release();
  }
}
