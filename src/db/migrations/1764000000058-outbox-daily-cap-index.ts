import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rep's daily cap counts intents, not pace-log draws (OutboxRepository.countDailyCap): per
 * member pace key, the intents first attempted within the corp day. The existing
 * (pace_key, status) index only narrows that to the rep's whole history (every sent message the
 * rep ever got, read at each claim that checks the rep); (pace_key, first_attempt_at) reads one
 * day's range per key. Never-attempted intents (NULL) sort first and are outside every range.
 */
export class OutboxDailyCapIndex1764000000058 implements MigrationInterface {
  name = 'OutboxDailyCapIndex1764000000058';

  async up(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    await qr.query(`CREATE INDEX ${q('ix_outbox_intents_pace_key_first_attempt_at')} ON ${q('outbox_intents')} (${q('pace_key')}, ${q('first_attempt_at')})`);
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    await qr.query(mysql ? 'DROP INDEX `ix_outbox_intents_pace_key_first_attempt_at` ON `outbox_intents`' : 'DROP INDEX "ix_outbox_intents_pace_key_first_attempt_at"');
  }
}
