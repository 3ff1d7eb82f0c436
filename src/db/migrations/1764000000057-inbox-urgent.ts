import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The welcome lane (src/inbox/repository.ts dueHeads). An add event's WelcomeCode is accepted by
 * WeCom for 20 s only; claimed by due time behind a backlog, nearly every welcome was handled after
 * it (the full chaos run recorded 5,859 of 5,913 late). urgent_until is received_at + the welcome deadline (18 s) for an
 * event that carries a welcome code, NULL otherwise. Existing rows get NULL: they stay ordinary,
 * claimed as before.
 *
 * The index puts the lane's candidates in one short range: (head_state = 1, status = 'pending',
 * urgent_until > now) holds only the heads whose window is open, a few seconds' worth of add
 * events whatever the backlog; NULLs sort before every value, so ordinary rows are never read.
 * Added with plain ALTER TABLE: on SQLite an added nullable column costs nothing (TypeORM's
 * addColumn would copy the table), on MariaDB it is an instant change.
 */
export class InboxUrgent1764000000057 implements MigrationInterface {
  name = 'InboxUrgent1764000000057';

  async up(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    await qr.query(`ALTER TABLE ${q('inbox_events')} ADD COLUMN ${q('urgent_until')} BIGINT NULL`);
    await qr.query(`CREATE INDEX ${q('ix_inbox_events_urgent')} ON ${q('inbox_events')} (${q('head_state')}, ${q('status')}, ${q('urgent_until')})`);
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    await qr.query(mysql ? 'DROP INDEX `ix_inbox_events_urgent` ON `inbox_events`' : 'DROP INDEX "ix_inbox_events_urgent"');
    await qr.query(mysql ? 'ALTER TABLE `inbox_events` DROP COLUMN `urgent_until`' : 'ALTER TABLE "inbox_events" DROP COLUMN "urgent_until"');
  }
}
