import { createConnection } from 'mysql2/promise';
import { createServices } from '../src/app';
import { loadConfig } from '../src/config';
import { migrateWithLock } from '../src/db/migrate';
import { insertIgnoringDuplicates } from '../src/db/sql';
import { createLogger } from '../src/log';
import type { Services } from '../src/services';
import { TEST_WECOM_ENV } from '../test/helpers/wecom-callback';

/**
 * A MariaDB database with 100k customers across 500 reps, 1M messages, orders and touches,
 * seeded once and reused by later runs (BENCH_RESEED=1 rebuilds it). Deterministic: a fixed
 * pseudo-random sequence, fixed "now".
 */
export const SCALE = { customers: Number(process.env.BENCH_CUSTOMERS ?? 100_000), reps: 500, messages: Number(process.env.BENCH_MESSAGES ?? 1_000_000) };
export const SCALE_NOW = new Date('2026-11-20T10:00:00+08:00');
const DB_NAME = `fencun_bench_${SCALE.customers}_${SCALE.messages}_v1`;
const MYSQL = (process.env.FENCUN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
const DAY = 86_400_000;

export function customerId(i: number): string {
  return `wmSCALE${String(i).padStart(6, '0')}`;
}
export function repId(i: number): string {
  return `rep${String(i % SCALE.reps).padStart(3, '0')}`;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export async function openScaleServices(log: (line: string) => void): Promise<Services> {
  const u = new URL(MYSQL);
  const admin = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: u.username || 'root', password: u.password });
  const [rows] = await admin.query(`SHOW DATABASES LIKE '${DB_NAME}'`);
  const exists = (rows as unknown[]).length > 0;
  if (process.env.BENCH_RESEED === '1' && exists) await admin.query(`DROP DATABASE \`${DB_NAME}\``);
  const fresh = !exists || process.env.BENCH_RESEED === '1';
  if (fresh) await admin.query(`CREATE DATABASE \`${DB_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const config = loadConfig({ ...TEST_WECOM_ENV, DATABASE_URL: `${MYSQL}/${DB_NAME}`, FENCUN_INSTANCE_ID: 'bench' });
  const services = await createServices(config, { log: createLogger('warn') });
  await migrateWithLock(services.db.ds, createLogger('warn'));
  const [{ n }] = await services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM data_cursors WHERE name = 'bench-seeded'");
  if (Number(n) === 0) await seed(services, log);
  return services;
}

async function seed(s: Services, log: (line: string) => void): Promise<void> {
  const { db } = s;
  const T = SCALE_NOW.getTime();
  const rand = rng(42);
  const started = Date.now();
  const put = async (table: string, cols: string[], data: unknown[][], conflict: string[]) => {
    const per = Math.floor(30_000 / cols.length);
    for (let i = 0; i < data.length; i += per) await insertIgnoringDuplicates(db, table, cols, data.slice(i, i + per), conflict);
  };
  const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
  const CHUNK = 10_000;
  const perCustomer = SCALE.messages / SCALE.customers;
  for (let base = 0; base < SCALE.customers; base += CHUNK) {
    const contacts: unknown[][] = [], follows: unknown[][] = [], orders: unknown[][] = [], messages: unknown[][] = [], touches: unknown[][] = [];
    for (let i = base; i < Math.min(base + CHUNK, SCALE.customers); i++) {
      const id = customerId(i);
      const rep = repId(i);
      const added = T - Math.floor(rand() * 700) * DAY;
      contacts.push([id, `${SURNAMES[i % SURNAMES.length]}${i % 2 ? '女士' : '先生'}${i}`, 1, 0, added, T]);
      const ended = rand() < 0.05;
      follows.push([rep, id, ended ? 'ended' : 'active', added, ended ? T - Math.floor(rand() * 60) * DAY : null,
        ended ? (rand() < 0.5 ? 'customer_deleted' : 'rep_deleted') : null, added, T, T]);
      const nOrders = rand() < 0.4 ? 1 + Math.floor(rand() * 6) : 0;
      for (let k = 0; k < nOrders; k++) orders.push([`so-${i}-${k}`, id, Math.round(100 + rand() * 5000), T - Math.floor(rand() * 400) * DAY, '商品', 'api', T, T]);
      const nMsg = Math.round(perCustomer * (0.5 + rand()));
      for (let k = 0; k < nMsg; k++) {
        const inbound = rand() < 0.5;
        messages.push([`sm-${i}-${k}`, 'archive', inbound ? 'in' : 'out', 'text', id, rep, inbound ? '请问还有货吗' : '您好，有的', T - Math.floor(rand() * 180 * DAY), T]);
      }
      const nTouch = Math.floor(rand() * 5);
      for (let k = 0; k < nTouch; k++) touches.push([id, rep, rand() < 0.5 ? 'marketing' : 'care', T - Math.floor(rand() * 60 * DAY), 'seed', `st-${k}`, T]);
    }
    await put('external_contacts', ['external_user_id', 'name', 'type', 'gender', 'created_at', 'updated_at'], contacts, ['external_user_id']);
    await put('follows', ['user_id', 'external_user_id', 'status', 'added_at', 'ended_at', 'ended_by', 'last_event_at', 'created_at', 'updated_at'], follows, ['user_id', 'external_user_id']);
    await put('orders', ['external_order_id', 'external_user_id', 'amount', 'paid_at', 'product', 'source', 'created_at', 'updated_at'], orders, ['external_order_id']);
    await put('messages', ['msgid', 'channel', 'direction', 'msg_type', 'external_user_id', 'user_id', 'text', 'msg_time', 'created_at'], messages, ['msgid']);
    await put('touches', ['external_user_id', 'user_id', 'category', 'at', 'source', 'ref', 'created_at'], touches, ['source', 'ref', 'external_user_id']);
    log(`  seeding: ${Math.min(base + CHUNK, SCALE.customers)}/${SCALE.customers} customers (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  // Derived facts in one statement (ingestion maintains them row by row; seeding does it in bulk).
  await db.exec(`INSERT INTO customer_facts (external_user_id, last_inbound_at, last_outbound_at, inbound_count, outbound_count, updated_at)
    SELECT external_user_id, MAX(CASE WHEN direction = 'in' THEN msg_time END), MAX(CASE WHEN direction = 'out' THEN msg_time END),
      SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), ?
    FROM messages GROUP BY external_user_id`, [T]);
  await db.exec(`INSERT INTO data_cursors (name, value, updated_at) VALUES ('bench-seeded', '1', ?)`, [T]);
  log(`  seeded ${SCALE.customers} customers and ~${SCALE.messages} messages in ${Math.round((Date.now() - started) / 1000)} s`);
}

export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
