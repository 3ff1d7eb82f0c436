import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { columnsFor } from '../schema';

/**
 * Inbox heads marked on the row (issue 17): head_state says where an unfinished event stands in
 * its customer's queue: 0 not yet placed (every insert), 1 head (the oldest unfinished event of its
 * order key, or one without a key), 2 behind an older unfinished event of its key. Rows are placed
 * and promoted only under the claim lock (src/inbox/repository.ts), so a claim reads its candidates
 * from one index range instead of computing every queued key's head: with 11k customers queued the
 * old claim read ~50k index entries to start four events.
 * Existing unfinished rows start at 0 and are placed by the first claim.
 */
export class InboxHeads1764000000055 implements MigrationInterface {
  name = 'InboxHeads1764000000055';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await qr.addColumn('inbox_events', new TableColumn(c.int('head_state', { default: 0 })));
    // Claim candidates (head, pending, due first) and rows to place (state 0), each one range.
    await qr.createIndex('inbox_events', new TableIndex({ name: 'ix_inbox_events_head_state', columnNames: ['head_state', 'status', 'next_attempt_at'] }));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex('inbox_events', 'ix_inbox_events_head_state');
    await qr.dropColumn('inbox_events', 'head_state');
  }
}
