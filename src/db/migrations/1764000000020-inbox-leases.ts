import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * Inbox leases per claim and failure accounting (issue 10):
 * - lease_token: a random token per claim; only its holder may renew, complete or fail the event
 *   (lease_owner keeps the instance id, for operators).
 * - failures: non-transient failures since the last requeue (the dead-letter budget);
 *   first_failed_at: when the current run of failures began (the time budget).
 * - abandoned: claims whose lease ran out without an outcome (a crash on this event: poison).
 * - inbox_claim_lock: one row every claim locks first on MariaDB, so claims are serialised and
 *   each sees every earlier claim (the per-key head rule spans rows; row locks cannot guard it).
 */
export class InboxLeases1764000000020 implements MigrationInterface {
  name = 'InboxLeases1764000000020';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await qr.addColumns('inbox_events', [
      new TableColumn(c.str('lease_token', 64, { isNullable: true })),
      new TableColumn(c.int('failures', { default: 0 })),
      new TableColumn(c.int('abandoned', { default: 0 })),
      new TableColumn(c.time('first_failed_at', { isNullable: true })),
    ]);
    // The claim's per-key heads: MIN(id) per order_key over unfinished rows, read from this index alone.
    await qr.createIndex('inbox_events', new TableIndex({ name: 'ix_inbox_events_status_order_key', columnNames: ['status', 'order_key'] }));
    await createTable(qr, { name: 'inbox_claim_lock', columns: [c.str('name', 32, { isPrimary: true })] });
    await qr.query(`INSERT INTO inbox_claim_lock (name) VALUES ('claim')`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('inbox_claim_lock');
    await qr.dropIndex('inbox_events', 'ix_inbox_events_status_order_key');
    for (const col of ['first_failed_at', 'abandoned', 'failures', 'lease_token']) await qr.dropColumn('inbox_events', col);
  }
}
