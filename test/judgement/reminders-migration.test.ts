import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../../src/config';
import { dataSourceOptions } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { migrations } from '../../src/db/migrations';
import { ReminderCauses1764000000023 } from '../../src/db/migrations/1764000000023-reminder-causes';
import { createTestDatabase, TestDatabase } from '../helpers/db';

/**
 * A database made before reminders were unique per cause may hold the same care reminder once per
 * following rep. The migration keeps one per cause — the one a rep already acted on — so the
 * unique key can be created, and stored tiers start at version 0.
 */
describe('migration to one reminder per cause', () => {
  let database: TestDatabase;
  let ds: DataSource | null = null;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await database?.drop();
  });

  it('should fold duplicate reminders of one cause into the one a rep acted on, then refuse a second', async () => {
    const options = dataSourceOptions(parseDatabaseUrl(database.url)!);
    const before = migrations.slice(0, migrations.indexOf(ReminderCauses1764000000023));
    expect(before.length).toBeGreaterThan(0);
    ds = new DataSource({ ...options, migrations: before } as typeof options);
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    const db = new Database(ds);
    const insert = (user: string, key: string, status: string, snoozes: number) => db.exec(
      `INSERT INTO reminders (external_user_id, user_id, kind, rule_key, title, message, due_at, status, snoozes, created_at, updated_at)
       VALUES ('wmTWO', ?, 'post_sale_care', ?, '售后关怀', NULL, 1, ?, ?, 1, 1)`, [user, key, status, snoozes]);
    await insert('zhaomin', 'post_sale:3:SO-1', 'open', 0);
    await insert('lisi', 'post_sale:3:SO-1', 'done', 0);
    await insert('zhaomin', 'post_sale:3:SO-2', 'open', 0);
    await insert('lisi', 'post_sale:3:SO-2', 'open', 1);
    await insert('zhaomin', 'post_sale:3:SO-3', 'open', 0);
    await insert('lisi', 'post_sale:3:SO-3', 'open', 0);
    await insert('lisi', 'post_sale:30:SO-1', 'open', 0);
    await db.exec(`INSERT INTO customer_tiers (external_user_id, tier, scored_tier, score, reasons, override, stage, stage_signals, computed_at)
      VALUES ('wmTWO', 'regular', 'regular', 30, '[]', NULL, 'active', '[]', 1)`);
    await ds.destroy();

    ds = new DataSource(options);
    await ds.initialize();
    expect((await ds.runMigrations({ transaction: 'each' }))[0].name).toBe('ReminderCauses1764000000023');
    const migrated = new Database(ds);
    const rows = await migrated.query<{ rule_key: string; user_id: string }>('SELECT rule_key, user_id FROM reminders');
    expect(rows.sort((x, y) => x.rule_key.localeCompare(y.rule_key, 'en'))).toEqual([
      { rule_key: 'post_sale:3:SO-1', user_id: 'lisi' }, // done by lisi
      { rule_key: 'post_sale:3:SO-2', user_id: 'lisi' }, // snoozed by lisi
      { rule_key: 'post_sale:3:SO-3', user_id: 'zhaomin' }, // untouched: the oldest stays
      { rule_key: 'post_sale:30:SO-1', user_id: 'lisi' },
    ]);
    await expect(migrated.exec(
      `INSERT INTO reminders (external_user_id, user_id, kind, rule_key, title, message, due_at, status, created_at, updated_at)
       VALUES ('wmTWO', 'wangwu', 'post_sale_care', 'post_sale:3:SO-3', '售后关怀', NULL, 1, 'open', 1, 1)`)).rejects.toThrow();
    const [tier] = await migrated.query<{ version: unknown }>("SELECT version FROM customer_tiers WHERE external_user_id = 'wmTWO'");
    expect(Number(tier.version)).toBe(0);
  });
});
