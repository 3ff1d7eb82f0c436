import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The supervisors' digest reads 31 days of 1:1 messages (response-time compliance) in one range
 * read. Through the msg_time index alone that is one row lookup per message (16 s for 180k
 * messages of a 1M-message MariaDB table); this index holds every column the read needs, so the
 * range is read from the index alone.
 */
export class Digest1764000000033 implements MigrationInterface {
  name = 'Digest1764000000033';

  async up(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    await qr.query(`CREATE INDEX ${q('idx_messages_digest')} ON ${q('messages')} (${['msg_time', 'external_user_id', 'direction', 'user_id', 'chat_id'].map(q).join(', ')})`);
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    await qr.query(mysql ? 'DROP INDEX `idx_messages_digest` ON `messages`' : 'DROP INDEX "idx_messages_digest"');
  }
}
