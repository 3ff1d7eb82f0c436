import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * Customer attributes WeCom does not have (it has no birthday field), imported through the data
 * API and CSV: a birthday (month and day, the year when known) and an anniversary date (a
 * membership or wedding date the business tracks). One row per customer, keyed by
 * external_user_id; a customer who is not (yet) a contact keeps the row until they appear.
 *
 * Also on reminders, for the complete care rules:
 * - reason: why the reminder exists, in Chinese, for the rep only (the customer never sees it),
 *   including when pressure deferred it and why;
 * - closed_at / closed_reason: a reminder closed without being done, e.g. because the customer
 *   deleted the rep (closed_reason = the follow's ended_by).
 */
export class CustomerAttributes1764000000031 implements MigrationInterface {
  name = 'CustomerAttributes1764000000031';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await createTable(qr, {
      name: 'customer_attributes',
      columns: [
        c.id(), c.str('external_user_id', 128),
        c.int('birthday_month', { isNullable: true }), c.int('birthday_day', { isNullable: true }), c.int('birthday_year', { isNullable: true }),
        c.str('anniversary', 10, { isNullable: true }), c.str('source', 16), c.time('created_at'), c.time('updated_at'),
      ],
      indices: [
        { columns: ['external_user_id'], unique: true, name: 'uq_customer_attributes_ext' },
        { columns: ['birthday_month', 'birthday_day'] },
      ],
    });
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    await qr.query(`ALTER TABLE ${q('reminders')} ADD COLUMN ${q('reason')} ${mysql ? 'MEDIUMTEXT' : 'TEXT'} NULL`);
    await qr.query(`ALTER TABLE ${q('reminders')} ADD COLUMN ${q('closed_at')} BIGINT NULL`);
    await qr.query(`ALTER TABLE ${q('reminders')} ADD COLUMN ${q('closed_reason')} VARCHAR(32) NULL`);
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    for (const col of ['closed_reason', 'closed_at', 'reason']) await qr.query(`ALTER TABLE ${q('reminders')} DROP COLUMN ${q(col)}`);
    await qr.dropTable('customer_attributes');
  }
}
