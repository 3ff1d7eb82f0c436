import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * Scheduled content for customer groups (src/group-content/):
 * - group_posts: a post or a recurring series (target, content, schedule as JSON), its status,
 *   and `decided_through`: the last occurrence already turned into per-group decisions (the
 *   guard that makes a second decider, or a rerun after a crash, decide nothing twice);
 * - group_post_sends: one row per (post, occurrence, group): the decision (send on time, moved
 *   with its reason, or skipped with its reason), the outbox intent that sends it (key
 *   group-post:<post>:<occurrence>:<owner>…), and WeCom's per-group result.
 */
export class GroupContent1764000000034 implements MigrationInterface {
  name = 'GroupContent1764000000034';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await createTable(qr, {
      name: 'group_posts',
      columns: [
        c.id(), c.str('name', 200), c.str('creator', 64), c.text('target', { isNullable: false }), c.text('content', { isNullable: false }),
        c.text('schedule', { isNullable: false }), c.int('move_within_hours'), c.time('first_at'), c.time('last_at'),
        c.str('status', 16), c.str('source', 255), c.time('decided_through', { isNullable: true }),
        c.time('created_at'), c.time('cancelled_at', { isNullable: true }), c.time('updated_at'),
      ],
      indices: [{ columns: ['status', 'first_at'] }],
    });
    await createTable(qr, {
      name: 'group_post_sends',
      columns: [
        c.id(), c.bigint('post_id'), c.time('occurrence_at'), c.str('chat_id', 128), c.str('owner_user_id', 64, { isNullable: true }),
        // send (on time) | moved | skipped
        c.str('decision', 16), c.time('planned_at', { isNullable: true }), c.str('reason', 32, { isNullable: true }), c.text('explanation'),
        // planned → dispatched (intent written) → sent | not_sent | over_quota | group_gone | failed | cancelled; or skipped
        c.str('status', 16), c.str('outbox_key', 191, { isNullable: true }), c.bigint('outbox_id', { isNullable: true }),
        c.str('msgid', 128, { isNullable: true }), c.time('result_at', { isNullable: true }), c.time('decided_at'), c.time('updated_at'),
      ],
      indices: [
        { columns: ['post_id', 'occurrence_at', 'chat_id'], unique: true, name: 'uq_group_post_sends' },
        { columns: ['status', 'planned_at'] },
        { columns: ['chat_id', 'planned_at'] },
      ],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['group_post_sends', 'group_posts']) await qr.dropTable(t);
  }
}
