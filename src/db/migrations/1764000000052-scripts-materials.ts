import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

/**
 * The sidebar's 话术 library and 素材 library (issue 13, "what reps reach for").
 *
 * scripts: corp scripts (managed by operators through /api/scripts, seeded from config/scripts.json
 * under their seed_key) and each rep's personal scripts (owner_user_id). Targeting lists (the next
 * action kinds, lifecycle stages and tiers a script suits) are comma-separated ids; empty = any.
 * Deleting keeps the row (deleted_at) so a seeded script an operator removed is not seeded again.
 *
 * materials: images, links/articles, files and mini-programs reps send from the sidebar. Images
 * and files keep their bytes (content) and the last temporary media_id WeCom gave for them, reused
 * until it is near its 3 days.
 */
export class ScriptsMaterials1764000000052 implements MigrationInterface {
  name = 'ScriptsMaterials1764000000052';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    await createTable(qr, {
      name: 'scripts',
      columns: [
        c.id(),
        c.str('scope', 16),
        c.str('owner_user_id', 64, { isNullable: true }),
        c.str('seed_key', 64, { isNullable: true }),
        c.str('category', 32),
        c.str('title', 64),
        c.text('body', { isNullable: false }),
        c.str('kinds', 255, { default: "''" }),
        c.str('stages', 255, { default: "''" }),
        c.str('tiers', 255, { default: "''" }),
        c.int('uses', { default: 0 }),
        c.time('last_used_at', { isNullable: true }),
        c.str('created_by', 128),
        c.time('created_at'),
        c.time('updated_at'),
        c.time('deleted_at', { isNullable: true }),
      ],
      indices: [{ columns: ['seed_key'], unique: true }, { columns: ['scope', 'owner_user_id'] }],
    });
    await createTable(qr, {
      name: 'materials',
      columns: [
        c.id(),
        c.str('kind', 16),
        c.str('category', 32),
        c.str('title', 64),
        c.str('description', 255, { default: "''" }),
        c.str('url', 2048, { isNullable: true }),
        c.str('pic_url', 2048, { isNullable: true }),
        c.str('appid', 64, { isNullable: true }),
        c.str('page', 512, { isNullable: true }),
        c.str('file_name', 128, { isNullable: true }),
        c.str('content_type', 128, { isNullable: true }),
        c.int('size', { default: 0 }),
        { name: 'content', type: mysql ? 'longblob' : 'blob', isNullable: true },
        c.str('media_id', 255, { isNullable: true }),
        c.time('media_expires_at', { isNullable: true }),
        c.int('uses', { default: 0 }),
        c.time('last_used_at', { isNullable: true }),
        c.str('created_by', 128),
        c.time('created_at'),
        c.time('updated_at'),
        c.time('deleted_at', { isNullable: true }),
      ],
      indices: [{ columns: ['category'] }],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('materials');
    await qr.dropTable('scripts');
  }
}
