import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';

/**
 * Which database the suite runs against: FENCUN_TEST_DB=sqlite (default) or mariadb.
 * MariaDB tests each get a fresh database on FENCUN_TEST_MYSQL_URL (default root@127.0.0.1:3306),
 * dropped afterwards; SQLite tests get a fresh file.
 */
export const TEST_DB: 'sqlite' | 'mariadb' = process.env.FENCUN_TEST_DB === 'mariadb' ? 'mariadb' : 'sqlite';

const MYSQL_BASE = (process.env.FENCUN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
const PREFIX = process.env.FENCUN_TEST_DB_PREFIX ?? 'fencun_t';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database of the suite's kind, or of the kind asked for (benchmarks pin MariaDB). */
export async function createTestDatabase(kind: 'sqlite' | 'mariadb' = TEST_DB): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fencun-test-'));
    return { url: `sqlite:${path.join(dir, 'fencun.sqlite')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `${PREFIX}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await mysqlAdmin();
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  return {
    url: `${MYSQL_BASE}/${name}`,
    drop: async () => {
      const a = await mysqlAdmin();
      try {
        await a.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await a.end();
      }
    },
  };
}

async function mysqlAdmin() {
  const u = new URL(MYSQL_BASE);
  try {
    return await createConnection({
      host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'),
      password: decodeURIComponent(u.password),
    });
  } catch (err) {
    throw new Error(`MariaDB tests need a server at ${MYSQL_BASE} (FENCUN_TEST_MYSQL_URL): ${(err as Error).message}`);
  }
}
