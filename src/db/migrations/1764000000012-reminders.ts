import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/** Care reminders for the rep who owns the relation; rule_key makes each generated reminder unique. */
export class Reminders1764000000012 implements MigrationInterface {
  name = 'Reminders1764000000012';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await createTable(qr, {
      name: 'reminders',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('user_id', 64), c.str('kind', 32), c.str('rule_key', 191),
        c.str('title', 255), c.text('message'), c.time('due_at'), c.str('status', 16), c.int('snoozes', { default: 0 }),
        c.time('done_at', { isNullable: true }), c.str('done_by', 64, { isNullable: true }), c.time('created_at'), c.time('updated_at'),
      ],
      indices: [
        { columns: ['rule_key', 'user_id'], unique: true, name: 'uq_reminders_rule' },
        { columns: ['external_user_id', 'status', 'due_at'] },
        { columns: ['user_id', 'status', 'due_at'] },
      ],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('reminders');
  }
}
