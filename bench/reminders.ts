import { insertIgnoringDuplicates } from '../src/db/sql';
import { runCareRules } from '../src/reminders/care-job';
import { customerId, openScaleServices, SCALE, SCALE_NOW } from './scale-data';

/**
 * Reminder generation at 100k customers / 500 reps on MariaDB (issue 12 bar: < 5 s): the daily
 * care rules (post-sale, revisit, birthdays, anniversaries, personal touches) and the 10-minute
 * reply rules, owners and pressure included, against a baseline SELECT of every customer id.
 * Every tenth customer has a birthday on file. What the runs wrote is removed afterwards, so the
 * next run measures the same work (a repeat run would find every cause already made).
 */
export async function benchReminders(): Promise<string[]> {
  const lines: string[] = [];
  const services = await openScaleServices((l) => process.stdout.write(l + '\n'));
  const { db } = services;
  const T = SCALE_NOW.getTime();
  try {
    // The rules read the stored judgement; computing it is the judgement bench's figure. Customers
    // not judged yet get a stored tier and stage spread like a real book (a fifth each of the
    // tiers; mostly active, some at risk, dormant or lost).
    await db.exec(`INSERT INTO customer_tiers (external_user_id, tier, scored_tier, score, reasons, stage, stage_signals, computed_at)
      SELECT c.external_user_id, ELT(1 + c.id % 4, 'core', 'key', 'regular', 'potential'), ELT(1 + c.id % 4, 'core', 'key', 'regular', 'potential'),
        50, '[]', ELT(1 + c.id % 10, 'active', 'active', 'active', 'active', 'new', 'at_risk', 'at_risk', 'dormant', 'dormant', 'lost'), '[]', ?
      FROM external_contacts c LEFT JOIN customer_tiers t ON t.external_user_id = c.external_user_id WHERE t.id IS NULL`, [T]);
    const birthdays: unknown[][] = [];
    for (let i = 0; i < SCALE.customers; i += 10) birthdays.push([customerId(i), 1 + (i % 12), 1 + (i % 28), 'csv', T, T]);
    for (let i = 0; i < birthdays.length; i += 5000) {
      await insertIgnoringDuplicates(db, 'customer_attributes', ['external_user_id', 'birthday_month', 'birthday_day', 'source', 'created_at', 'updated_at'],
        birthdays.slice(i, i + 5000), ['external_user_id']);
    }
    await cleanUp();
    const b0 = Date.now();
    await db.query('SELECT external_user_id FROM external_contacts ORDER BY id');
    const baselineMs = Date.now() - b0;

    const d0 = Date.now();
    const daily = await runCareRules(services, SCALE_NOW, 'daily');
    const dailyMs = Date.now() - d0;
    lines.push(`care-reminders (daily rules) for ${SCALE.customers} customers / ${SCALE.reps} reps: ${dailyMs} ms, ${JSON.stringify(daily)}; `
      + `bar < 5000 ms ${dailyMs < 5000 ? 'PASS' : 'FAIL'}; ${(dailyMs / baselineMs).toFixed(1)}x baseline SELECT of all ids (${baselineMs} ms)`);
    const s0 = Date.now();
    const reply = await runCareRules(services, SCALE_NOW, 'service');
    const replyMs = Date.now() - s0;
    lines.push(`reply-reminders (SLA + complaint follow-up): ${replyMs} ms, ${JSON.stringify(reply)}`);
    const r0 = Date.now();
    const again = await runCareRules(services, SCALE_NOW, 'daily');
    lines.push(`care-reminders again at the same instant (every cause exists): ${Date.now() - r0} ms, created ${again.created}`);
  } finally {
    await cleanUp().catch(() => undefined);
    await db.ds.destroy();
  }
  return lines;

  async function cleanUp(): Promise<void> {
    await db.exec('DELETE FROM reminders WHERE created_at = ?', [T]);
    await db.exec("DELETE FROM pressure_denials WHERE ref_kind = 'reminder' AND at = ?", [T]);
  }
}
