import type { DataSource, EntityManager } from 'typeorm';
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
    return this.serial(() => this.ds.query(sql, params));
  }

  exec(sql: string, params: unknown[] = []): Promise<number> {
    return this.serial(() => structured(this.ds.manager, sql, params));
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.serial(() =>
      this.ds.transaction(async (manager) => {
        const tx: Tx = {
          dialect: this.dialect,
          manager,
          query: (sql, params = []) => manager.query(sql, params),
          exec: (sql, params = []) => structured(manager, sql, params),
        };
        return fn(tx);
      }),
    );
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

async function structured(manager: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const qr = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const r = (await qr.query(sql, params, true)) as { affected?: number; raw?: { affectedRows?: number; changes?: number } };
    return r.affected ?? r.raw?.affectedRows ?? r.raw?.changes ?? 0;
  } finally {
    if (!manager.queryRunner) await qr.release();
  }
}
