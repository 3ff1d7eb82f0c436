import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * The outbox (issue 12): every message Fencun sends is a row here first.
 * - outbox_intents: one send intent per idempotency key (idem_key, unique), its lease (token per
 *   claim, like the inbox), doubt_since (an attempt whose outcome is unknown started then: the
 *   request may have reached WeCom) and the outcome with WeCom's ids.
 * - outbox_senders: a "not before" per pace key (member, mass-task sender, robot, endpoint): the
 *   worker does not claim what it may not send yet, and a 45009 pauses the key, not the intent.
 * - outbox_pace_log: when each pace key was drawn from (the sliding windows and the daily cap).
 * - outbox_claim_lock: one row every claim locks first on MariaDB, so claims are serialised (the
 *   one-in-flight-per-sender rule and the pacing span rows).
 */
export class Outbox1764000000030 implements MigrationInterface {
  name = 'Outbox1764000000030';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await createTable(qr, {
      name: 'outbox_intents',
      columns: [
        c.id(), c.str('idem_key', 191), c.str('kind', 16), c.str('origin', 64), c.text('body', { isNullable: false }),
        c.str('pace_key', 191), c.str('status', 16), c.time('due_at'), c.time('expires_at', { isNullable: true }),
        c.time('next_attempt_at'), c.int('attempts', { default: 0 }),
        c.str('lease_owner', 128, { isNullable: true }), c.str('lease_token', 64, { isNullable: true }), c.time('lease_until', { isNullable: true }),
        c.time('doubt_since', { isNullable: true }), c.time('first_attempt_at', { isNullable: true }), c.time('last_attempt_at', { isNullable: true }),
        c.str('wecom_msgid', 191, { isNullable: true }), c.text('wecom_result'), c.int('errcode', { isNullable: true }), c.text('reason'),
        c.int('transient_failures', { default: 0 }), c.time('first_failed_at', { isNullable: true }),
        c.time('created_at'), c.time('updated_at'), c.time('done_at', { isNullable: true }),
      ],
      indices: [
        { columns: ['idem_key'], unique: true, name: 'uq_outbox_intents_key' },
        { columns: ['status', 'next_attempt_at'] },
        { columns: ['pace_key', 'status'] },
        { columns: ['wecom_msgid'] },
      ],
    });
    await createTable(qr, {
      name: 'outbox_senders',
      columns: [c.str('pace_key', 191, { isPrimary: true }), c.time('not_before'), c.int('pauses', { default: 0 }), c.text('reason'), c.time('updated_at')],
    });
    await createTable(qr, {
      name: 'outbox_pace_log',
      columns: [c.id(), c.str('pace_key', 191), c.time('at')],
      indices: [{ columns: ['pace_key', 'at'] }, { columns: ['at'] }],
    });
    await createTable(qr, { name: 'outbox_claim_lock', columns: [c.str('name', 32, { isPrimary: true })] });
    await qr.query(`INSERT INTO outbox_claim_lock (name) VALUES ('claim')`);
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['outbox_claim_lock', 'outbox_pace_log', 'outbox_senders', 'outbox_intents']) await qr.dropTable(t);
  }
}
