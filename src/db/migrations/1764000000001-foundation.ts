import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

export class Foundation1764000000001 implements MigrationInterface {
  name = 'Foundation1764000000001';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);

    // Every callback WeCom delivers, exactly once (unique dedupe key), before any processing.
    await createTable(qr, {
      name: 'inbox_events',
      columns: [
        c.id(),
        c.str('dedupe_key', 191),
        c.str('kind', 96),
        c.str('order_key', 191, { isNullable: true }),
        c.text('payload', { isNullable: false }),
        c.time('event_time'),
        c.time('received_at'),
        c.str('status', 16),
        c.int('attempts', { default: 0 }),
        c.time('next_attempt_at'),
        c.str('lease_owner', 128, { isNullable: true }),
        c.time('lease_until', { isNullable: true }),
        c.text('last_error'),
        c.time('processed_at', { isNullable: true }),
      ],
      indices: [
        { columns: ['dedupe_key'], unique: true, name: 'uq_inbox_dedupe_key' },
        { columns: ['status', 'next_attempt_at'] },
        { columns: ['order_key', 'status'] },
      ],
    });

    // The typed record of each processed event: what happened, to whom, when.
    await createTable(qr, {
      name: 'wecom_events',
      columns: [
        c.id(),
        c.bigint('inbox_id'),
        c.str('kind', 96),
        c.str('user_id', 128, { isNullable: true }),
        c.str('external_user_id', 128, { isNullable: true }),
        c.str('chat_id', 128, { isNullable: true }),
        c.str('tag_id', 128, { isNullable: true }),
        c.text('detail'),
        c.time('event_time'),
        c.time('recorded_at'),
      ],
      indices: [
        { columns: ['inbox_id'], unique: true, name: 'uq_wecom_events_inbox' },
        { columns: ['external_user_id', 'event_time'] },
        { columns: ['kind', 'event_time'] },
      ],
    });

    // One row per (job, schedule slot): the unique key is what stops two instances running it twice.
    await createTable(qr, {
      name: 'job_runs',
      columns: [
        c.id(),
        c.str('job', 64),
        c.str('slot', 64),
        c.str('instance_id', 128),
        c.str('status', 16),
        c.time('started_at'),
        c.time('finished_at', { isNullable: true }),
        c.text('summary'),
        c.text('error'),
      ],
      indices: [
        { columns: ['job', 'slot'], unique: true, name: 'uq_job_runs_slot' },
        { columns: ['job', 'started_at'] },
      ],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('job_runs');
    await qr.dropTable('wecom_events');
    await qr.dropTable('inbox_events');
  }
}
