import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * What a rep records about a customer from the sidebar that WeCom has no field for
 * (issue 13, "what reps reach for"):
 * - customer_profiles: one row per customer — the 称呼 a 话术 addresses them by, their region,
 *   the sales stage the rep set (with who and when), and the corp's custom fields (config/profile.json)
 *   as a JSON object. Phone, company and description live on the follow (WeCom's remark fields);
 *   the birthday in customer_attributes, where the care rules read it.
 * - notes.follow_type / notes.next_follow_up_at: a note can be a follow-up record of a kind
 *   (微信, 电话, 到店, 拜访) with the next follow-up planned (which makes a reminder for the rep).
 */
export class RepTools1764000000053 implements MigrationInterface {
  name = 'RepTools1764000000053';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await createTable(qr, {
      name: 'customer_profiles',
      columns: [
        c.id(), c.str('external_user_id', 128),
        c.str('salutation', 32, { isNullable: true }), c.str('region', 64, { isNullable: true }),
        c.str('sales_stage', 32, { isNullable: true }), c.str('sales_stage_by', 64, { isNullable: true }), c.time('sales_stage_at', { isNullable: true }),
        c.text('custom_fields'), c.str('updated_by', 64), c.time('created_at'), c.time('updated_at'),
      ],
      indices: [{ columns: ['external_user_id'], unique: true, name: 'uq_customer_profiles_ext' }],
    });
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    await qr.query(`ALTER TABLE ${q('notes')} ADD COLUMN ${q('follow_type')} VARCHAR(16) NULL`);
    await qr.query(`ALTER TABLE ${q('notes')} ADD COLUMN ${q('next_follow_up_at')} BIGINT NULL`);
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    for (const col of ['next_follow_up_at', 'follow_type']) await qr.query(`ALTER TABLE ${q('notes')} DROP COLUMN ${q(col)}`);
    await qr.dropTable('customer_profiles');
  }
}
