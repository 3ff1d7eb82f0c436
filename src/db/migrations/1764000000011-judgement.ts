import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/** Stored judgements: current tier and lifecycle, their history, overrides, complaints, suppressions. */
export class Judgement1764000000011 implements MigrationInterface {
  name = 'Judgement1764000000011';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);

    // The latest tier and lifecycle stage per customer, with the reasons that produced them.
    await createTable(qr, {
      name: 'customer_tiers',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('tier', 32), c.str('scored_tier', 32), c.int('score'),
        c.text('reasons'), c.text('override'), c.str('stage', 16), c.text('stage_signals'), c.time('computed_at'),
      ],
      indices: [
        { columns: ['external_user_id'], unique: true, name: 'uq_customer_tiers_ext' },
        { columns: ['tier'] },
        { columns: ['stage'] },
      ],
    });

    // Every tier change with the reasons behind the new tier.
    await createTable(qr, {
      name: 'tier_history',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('from_tier', 32, { isNullable: true }), c.str('to_tier', 32),
        c.int('score'), c.text('reasons'), c.str('cause', 24), c.time('at'),
      ],
      indices: [{ columns: ['external_user_id', 'at'] }, { columns: ['at'] }],
    });

    // A person's decision that beats the score (strategic account, known reseller…).
    await createTable(qr, {
      name: 'tier_overrides',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('tier', 32), c.text('reason', { isNullable: false }),
        c.str('author', 128), c.time('set_at'), c.time('expires_at', { isNullable: true }),
      ],
      indices: [{ columns: ['external_user_id'], unique: true, name: 'uq_tier_overrides_ext' }],
    });

    // Complaints: suggested from inbound keywords (source keyword, status open = to confirm) or
    // filed by a rep; closed with a resolution. source_ref makes each suggestion idempotent.
    await createTable(qr, {
      name: 'complaints',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('user_id', 64, { isNullable: true }), c.str('source', 16),
        c.str('source_ref', 191), c.str('status', 16), c.text('excerpt'), c.str('keyword', 64, { isNullable: true }),
        c.time('opened_at'), c.time('confirmed_at', { isNullable: true }), c.str('confirmed_by', 64, { isNullable: true }),
        c.time('closed_at', { isNullable: true }), c.str('closed_by', 64, { isNullable: true }),
        c.str('resolution_code', 24, { isNullable: true }), c.text('resolution_note'), c.time('updated_at'),
      ],
      indices: [
        { columns: ['source', 'source_ref'], unique: true, name: 'uq_complaints_source_ref' },
        { columns: ['external_user_id', 'status'] },
        { columns: ['status', 'opened_at'] },
      ],
    });

    // Every touch the pressure policy prevented: "over-contact prevented" is counted from here.
    await createTable(qr, {
      name: 'pressure_denials',
      columns: [
        c.id(), c.str('external_user_id', 128), c.str('category', 24), c.str('reasons', 255),
        c.str('ref_kind', 32), c.str('ref_id', 128), c.time('at'), c.time('next_allowed_at', { isNullable: true }),
      ],
      indices: [{ columns: ['at'] }, { columns: ['external_user_id', 'at'] }, { columns: ['ref_kind', 'ref_id'] }],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    for (const t of ['pressure_denials', 'complaints', 'tier_overrides', 'tier_history', 'customer_tiers']) await qr.dropTable(t);
  }
}
