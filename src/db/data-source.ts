import fs from 'node:fs';
import path from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { entities } from './entities';
import { migrations } from './migrations';

export type Dialect = 'sqlite' | 'mysql';

/** PRAGMA synchronous of every embedded connection (the callback bench compares it with NORMAL). */
export const SQLITE_SYNCHRONOUS = 'FULL';

/**
 * The one place that knows how to open either database. Schema changes only happen through
 * migrations; `synchronize` is never on.
 */
export function createDataSource(db: DatabaseConfig): DataSource {
  return new DataSource(dataSourceOptions(db));
}

export function dataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  const common = { entities, migrations, synchronize: false, migrationsRun: false, logging: false } as const;
  if (db.kind === 'sqlite') {
    if (db.file !== ':memory:') fs.mkdirSync(path.dirname(db.file), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.file,
      // WAL lets the HTTP process and a CLI command read while the other writes.
      enableWAL: db.file !== ':memory:',
      // A short native busy wait: longer waits happen asynchronously in Database (database.ts).
      timeout: 20,
      prepareDatabase: (conn: { pragma(s: string): unknown }) => {
        // FULL: a commit is on disk before it returns. With WAL, NORMAL may lose the last
        // commits on power loss, and a callback is acknowledged to WeCom once its insert commits.
        conn.pragma(`synchronous = ${SQLITE_SYNCHRONOUS}`);
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    database: db.database,
    // Names are Chinese and contain emoji: utf8mb4 end to end.
    charset: 'utf8mb4_unicode_ci',
    // All instants are stored in UTC (as epoch milliseconds); pin the session zone anyway.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    poolSize: 10,
    connectTimeout: 5_000,
    // affectedRows must count rows changed, not rows matched: claims and leases rely on it.
    flags: ['-FOUND_ROWS'],
  };
}

export function dialectOf(ds: DataSource): Dialect {
  return ds.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
}
