import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One reminder per cause, one suppression per (rule, cause, customer), and a version on each
 * stored tier so concurrent recomputes compare-and-set instead of overwriting each other.
 *
 * - reminders: unique on rule_key alone (it names the rule and its subject, e.g.
 *   post_sale:3:SO-1006). It was unique per (rule_key, user_id), so a customer followed by two
 *   reps got the same reminder twice. Existing duplicates are folded first: the row a rep already
 *   acted on (done or snoozed) is kept, else the oldest.
 * - pressure_denials.cause_key: what was prevented (a reminder's rule key, a campaign's id);
 *   unique with ref_kind and the customer, so re-evaluating the same touch on every run and day
 *   of its window records it once. Rows written before this migration keep NULL (their cause was
 *   never stored), which a unique index does not compare on either dialect.
 * - customer_tiers.version: incremented by every landed recompute (see TierService).
 */
export class ReminderCauses1764000000023 implements MigrationInterface {
  name = 'ReminderCauses1764000000023';

  async up(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');

    const dupes = (await qr.query(
      `SELECT r.id, r.rule_key, r.status, r.snoozes FROM reminders r
       JOIN (SELECT rule_key FROM reminders GROUP BY rule_key HAVING COUNT(*) > 1) d ON d.rule_key = r.rule_key
       ORDER BY r.rule_key, r.id`)) as { id: unknown; rule_key: string; status: string; snoozes: unknown }[];
    const keep = new Map<string, { id: number; acted: boolean }>();
    for (const r of dupes) {
      const acted = r.status !== 'open' || Number(r.snoozes) > 0;
      const kept = keep.get(r.rule_key);
      if (!kept || (acted && !kept.acted)) keep.set(r.rule_key, { id: Number(r.id), acted });
    }
    const keptIds = new Set([...keep.values()].map((k) => k.id));
    const drop = dupes.map((r) => Number(r.id)).filter((id) => !keptIds.has(id));
    for (let i = 0; i < drop.length; i += 500) {
      const part = drop.slice(i, i + 500);
      await qr.query(`DELETE FROM reminders WHERE id IN (${part.map(() => '?').join(',')})`, part);
    }
    await qr.query(mysql ? 'DROP INDEX `uq_reminders_rule` ON `reminders`' : 'DROP INDEX "uq_reminders_rule"');
    await qr.query(`CREATE UNIQUE INDEX ${q('uq_reminders_cause')} ON ${q('reminders')} (${q('rule_key')})`);

    await qr.query(`ALTER TABLE ${q('pressure_denials')} ADD COLUMN ${q('cause_key')} VARCHAR(191) NULL`);
    await qr.query(`CREATE UNIQUE INDEX ${q('uq_pressure_denials_cause')} ON ${q('pressure_denials')} (${q('ref_kind')}, ${q('cause_key')}, ${q('external_user_id')})`);

    await qr.query(`ALTER TABLE ${q('customer_tiers')} ADD COLUMN ${q('version')} ${mysql ? 'INT' : 'INTEGER'} NOT NULL DEFAULT 0`);
  }

  async down(qr: QueryRunner): Promise<void> {
    const mysql = qr.connection.options.type !== 'better-sqlite3';
    const q = (id: string) => (mysql ? '`' + id + '`' : '"' + id + '"');
    await qr.query(`ALTER TABLE ${q('customer_tiers')} DROP COLUMN ${q('version')}`);
    await qr.query(mysql ? 'DROP INDEX `uq_pressure_denials_cause` ON `pressure_denials`' : 'DROP INDEX "uq_pressure_denials_cause"');
    await qr.query(`ALTER TABLE ${q('pressure_denials')} DROP COLUMN ${q('cause_key')}`);
    await qr.query(mysql ? 'DROP INDEX `uq_reminders_cause` ON `reminders`' : 'DROP INDEX "uq_reminders_cause"');
    await qr.query(`CREATE UNIQUE INDEX ${q('uq_reminders_rule')} ON ${q('reminders')} (${q('rule_key')}, ${q('user_id')})`);
  }
}
