import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnsFor, createTable } from '../schema';

export class WecomTokens1764000000002 implements MigrationInterface {
  name = 'WecomTokens1764000000002';

  async up(qr: QueryRunner): Promise<void> {
    const c = columnsFor(qr);
    // WeCom access tokens and JS-SDK tickets, shared by every instance: gettoken and the ticket
    // endpoints have low frequency limits (API.md 4.1, 4.16), so a restart or a second instance
    // reuses what is here instead of fetching again. `key` never contains a secret.
    await createTable(qr, {
      name: 'wecom_tokens',
      columns: [
        c.str('key', 191, { isPrimary: true }),
        c.str('value', 1024),
        c.time('expires_at'),
        c.time('updated_at'),
      ],
    });
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('wecom_tokens');
  }
}
