import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * The operators' console (issue 16):
 * - admin_audit.before_json / after_json: what a change replaced and what it wrote (JSON, or null).
 * - policy_versions: every policy saved through the console, the whole policy (the six files of
 *   config/ as one JSON object) per row; the current one is the highest version. based_on is the
 *   version it was edited from and is unique, so of two saves made from the same version only one
 *   lands (the other is told the policy changed under it). Version 0 is config/ and has no row.
 * - admin_oauth_states: WeCom sign-in states already exchanged, so a state is good for one
 *   sign-in across every instance (the primary key refuses the second use).
 */
export class Console1764000000054 implements MigrationInterface {
  name = 'Console1764000000054';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    await qr.addColumns('admin_audit', [new TableColumn(c.text('before_json')), new TableColumn(c.text('after_json'))]);
    await createTable(qr, {
      name: 'policy_versions',
      columns: [
        c.id('version'), c.bigint('based_on'), c.text('policy', { isNullable: false }), c.str('actor', 128),
        c.str('note', 500, { default: "''" }), c.time('saved_at'),
      ],
      indices: [{ columns: ['based_on'], unique: true, name: 'uq_policy_versions_based_on' }],
    });
    await createTable(qr, {
      name: 'admin_oauth_states',
      columns: [c.str('nonce', 64, { isPrimary: true }), c.time('expires_at')],
      indices: [{ columns: ['expires_at'] }],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('admin_oauth_states');
    await qr.dropTable('policy_versions');
    await qr.dropColumn('admin_audit', 'after_json');
    await qr.dropColumn('admin_audit', 'before_json');
  }
}
