import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * admin_audit: one row per change made through the operators' console (/admin/): who (the
 * signed-in identity and the address it came from), when, what (action, target, a short detail).
 * Append-only; the console lists the newest rows.
 */
export class AdminAudit1764000000040 implements MigrationInterface {
  name = 'AdminAudit1764000000040';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await createTable(qr, {
      name: 'admin_audit',
      columns: [
        c.id(),
        c.time('at'),
        c.str('actor', 128),
        c.str('ip', 64),
        c.str('action', 64),
        c.str('target', 128, { isNullable: true }),
        c.text('detail'),
      ],
      indices: [{ columns: ['at'] }],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('admin_audit');
  }
}
