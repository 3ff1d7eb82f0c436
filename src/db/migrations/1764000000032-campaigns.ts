import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * Campaigns to customers (src/campaigns/):
 * - campaigns: the definition (audience, content, schedule as JSON), its status and the last plan;
 * - campaign_batches: one add_msg_template task per (sender, send time, ≤10,000 customers), with
 *   the outbox intent that sends it (outbox key campaign:<id>:batch:<no>) once dispatched, the
 *   task's WeCom state and the reminders sent (remind_groupmsg_send, ≤3 per 24 h);
 * - campaign_recipients: one row per customer of an approved campaign: the plan's decision
 *   (reason, explanation), the routed sender, and WeCom's per-customer result.
 */
export class Campaigns1764000000032 implements MigrationInterface {
  name = 'Campaigns1764000000032';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await createTable(qr, {
      name: 'campaigns',
      columns: [
        c.id(), c.str('name', 200), c.str('category', 16), c.str('creator', 64), c.text('audience', { isNullable: false }),
        c.text('content', { isNullable: false }), c.time('schedule_start'), c.time('schedule_end'), c.int('daily_rate'),
        c.str('status', 16), c.text('last_plan'), c.time('planned_at', { isNullable: true }), c.time('approved_at', { isNullable: true }),
        c.time('cancelled_at', { isNullable: true }), c.time('created_at'), c.time('updated_at'),
      ],
      indices: [{ columns: ['status'] }],
    });
    await createTable(qr, {
      name: 'campaign_batches',
      columns: [
        c.id(), c.bigint('campaign_id'), c.int('batch_no'), c.str('sender', 64), c.time('send_at'), c.int('size'),
        // planned → dispatched (intent written) → awaiting (task in WeCom) → done | cancelled | failed
        c.str('status', 16), c.bigint('outbox_id', { isNullable: true }), c.str('msgid', 128, { isNullable: true }),
        c.int('task_status', { isNullable: true }), c.text('reminded_at'), c.time('polled_at', { isNullable: true }),
        c.text('note'), c.time('updated_at'),
      ],
      indices: [
        { columns: ['campaign_id', 'batch_no'], unique: true, name: 'uq_campaign_batches_no' },
        { columns: ['status', 'send_at'] },
      ],
    });
    await createTable(qr, {
      name: 'campaign_recipients',
      columns: [
        c.id(), c.bigint('campaign_id'), c.str('external_user_id', 128), c.str('decision', 16), c.str('reason', 32, { isNullable: true }),
        c.text('explanation'), c.str('sender', 64, { isNullable: true }), c.str('route', 16, { isNullable: true }),
        c.int('batch_no', { isNullable: true }), c.time('send_at', { isNullable: true }), c.str('result', 16),
        c.time('result_at', { isNullable: true }), c.time('updated_at'),
      ],
      indices: [
        { columns: ['campaign_id', 'external_user_id'], unique: true, name: 'uq_campaign_recipients' },
        { columns: ['campaign_id', 'batch_no'] },
      ],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['campaign_recipients', 'campaign_batches', 'campaigns']) await qr.dropTable(t);
  }
}
