import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * tiers-refresh runs every five minutes and reads, from each table that feeds a tier, the rows
 * stamped in a short window (src/judgement/jobs.ts CHANGE_STAMPS). Without an index on the stamp
 * that is a full scan of messages, orders, follows, touches and complaints each run — on a
 * million-message table most of the job's time. Each index holds the stamp and the customer, so
 * the window is read from the index alone.
 */
const STAMPS: [table: string, stamp: string][] = [
  ['messages', 'created_at'], ['orders', 'updated_at'], ['follows', 'updated_at'], ['touches', 'created_at'], ['complaints', 'updated_at'],
];

export class ChangeStamps1764000000056 implements MigrationInterface {
  name = 'ChangeStamps1764000000056';

  async up(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    for (const [table, stamp] of STAMPS) {
      await qr.query(`CREATE INDEX ${q(`idx_${table}_${stamp}_ext`)} ON ${q(table)} (${q(stamp)}, ${q('external_user_id')})`);
    }
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    for (const [table, stamp] of STAMPS) {
      const name = `idx_${table}_${stamp}_ext`;
      await qr.query(mysql ? `DROP INDEX \`${name}\` ON \`${table}\`` : `DROP INDEX "${name}"`);
    }
  }
}
