import { randomUUID } from 'node:crypto';
import { advanceIdTrail, idTrailHighWater, readIdTrail, writeCursor } from '../contacts/cursors';
import type { Database } from '../db/database';
import { insertIgnoringDuplicates, num, numOrNull } from '../db/sql';
import { AppError } from '../errors';
import type { Log } from '../log';
import { rowToComplaint } from '../judgement/complaint-rows';
import { applyComplaintAction, detectComplaint, type Complaint, type ComplaintResolutionCode, type ComplaintsConfig } from './policy';

const SCAN_CURSOR = 'complaint-scan';
const SCAN_BATCH = 2000;

/**
 * Complaints as rows: filed by a rep (already a complaint), or suggested from a customer's message
 * by keyword for the rep to confirm. Marketing stays silent while one is open and for the
 * cooldown after it closes (the pressure policy reads them).
 */
export class ComplaintService {
  constructor(private readonly d: { db: Database; config: ComplaintsConfig; log: Log }) {}

  async fileByRep(input: { externalUserId: string; userId: string; text: string; sourceRef?: string }, now: Date): Promise<Complaint> {
    const ref = input.sourceRef ?? randomUUID();
    await insertIgnoringDuplicates(this.d.db, 'complaints',
      ['external_user_id', 'user_id', 'source', 'source_ref', 'status', 'excerpt', 'opened_at', 'confirmed_at', 'confirmed_by', 'updated_at'],
      [[input.externalUserId, input.userId, 'rep', ref, 'confirmed', input.text.slice(0, 500), now.getTime(), now.getTime(), input.userId, now.getTime()]],
      ['source', 'source_ref']);
    return (await this.findBySource('rep', ref))!;
  }

  /**
   * Reads inbound 1:1 messages and suggests complaints by keyword. A message id is taken at insert
   * but seen at commit, so a slower transaction's 投诉 can turn up below ids already scanned; the
   * scan therefore walks an id trail (contacts/cursors.ts): every run re-reads the ids of the last
   * LATE_COMMIT_MARGIN_MS behind what it saw, and a suggestion is keyed by its msgid
   * (uq_complaints_source_ref), so a re-read message is never suggested twice — not even after the
   * rep dismissed it. Chosen over a processed mark per message (a write per inbound message, on the
   * biggest table) because the re-read is a primary-key range and detection is a string match.
   * `scanned` counts messages above every earlier scan's high-water mark; re-checked ones are not.
   */
  async scanInbound(now: Date): Promise<{ scanned: number; suggested: number }> {
    const { db, config } = this.d;
    const trail = await readIdTrail(db, SCAN_CURSOR);
    const seenBefore = idTrailHighWater(trail);
    const [top] = await db.query<{ max_id: unknown }>('SELECT MAX(id) AS max_id FROM messages');
    const maxId = Math.max(numOrNull(top?.max_id) ?? 0, seenBefore);
    let after = trail.floor;
    let scanned = 0;
    let rechecked = 0;
    let suggested = 0;
    for (;;) {
      const rows = await db.query<{ id: unknown; msgid: string; external_user_id: string; user_id: string | null; text: string | null; msg_time: unknown }>(
        `SELECT id, msgid, external_user_id, user_id, text, msg_time FROM messages
         WHERE id > ? AND id <= ? AND direction = 'in' AND external_user_id IS NOT NULL ORDER BY id LIMIT ?`, [after, maxId, SCAN_BATCH]);
      if (rows.length === 0) break;
      const suggestions: unknown[][] = [];
      for (const r of rows) {
        if (num(r.id) > seenBefore) scanned++;
        else rechecked++;
        const hit = r.text ? detectComplaint(r.text, config) : null;
        if (hit) {
          suggestions.push([r.external_user_id, r.user_id, 'keyword', r.msgid, 'open', r.text!.slice(0, 500), hit.keywords[0] ?? null,
            num(r.msg_time), now.getTime()]);
        }
      }
      suggested += await insertIgnoringDuplicates(db, 'complaints',
        ['external_user_id', 'user_id', 'source', 'source_ref', 'status', 'excerpt', 'keyword', 'opened_at', 'updated_at'],
        suggestions, ['source', 'source_ref']);
      after = num(rows[rows.length - 1].id);
    }
    // Written once the whole window is read: a crash mid-way re-reads it, which is harmless.
    await writeCursor(db, SCAN_CURSOR, advanceIdTrail(trail, now.getTime(), maxId), now.getTime());
    if (suggested) this.d.log.info({ suggested, rechecked }, 'complaints suggested from customer messages; reps confirm them in the sidebar');
    return { scanned, suggested };
  }

  async confirm(id: number, by: string, now: Date): Promise<Complaint> {
    return this.transition(id, { type: 'confirm', by }, now);
  }

  async close(id: number, by: string, resolution: ComplaintResolutionCode, note: string, now: Date): Promise<Complaint> {
    return this.transition(id, { type: 'close', by, resolution, note }, now);
  }

  async openOf(externalUserId: string): Promise<Complaint[]> {
    const rows = await this.d.db.query<Record<string, unknown>>(
      `SELECT * FROM complaints WHERE external_user_id = ? AND status <> 'closed' ORDER BY opened_at`, [externalUserId]);
    return rows.map(rowToComplaint);
  }

  async get(id: number): Promise<Complaint | null> {
    const rows = await this.d.db.query<Record<string, unknown>>('SELECT * FROM complaints WHERE id = ?', [id]);
    return rows[0] ? rowToComplaint(rows[0]) : null;
  }

  private async transition(id: number, action: Parameters<typeof applyComplaintAction>[1], now: Date): Promise<Complaint> {
    const current = await this.get(id);
    if (!current) throw new AppError('COMPLAINT_NOT_FOUND', `没有编号为 ${id} 的投诉`, { status: 404 });
    const t = applyComplaintAction(current, action, now);
    if (!t.ok) throw new AppError(t.code, t.message, { status: 409 });
    const c = t.complaint;
    await this.d.db.exec(
      `UPDATE complaints SET status = ?, confirmed_at = ?, confirmed_by = ?, closed_at = ?, closed_by = ?, resolution_code = ?,
       resolution_note = ?, updated_at = ? WHERE id = ?`,
      [c.status, c.confirmedAt?.getTime() ?? null, c.confirmedBy, c.closedAt?.getTime() ?? null, c.closedBy,
        c.resolution?.code ?? null, c.resolution?.note ?? null, now.getTime(), id]);
    return c;
  }

  private async findBySource(source: string, ref: string): Promise<Complaint | null> {
    const rows = await this.d.db.query<Record<string, unknown>>('SELECT * FROM complaints WHERE source = ? AND source_ref = ?', [source, ref]);
    return rows[0] ? rowToComplaint(rows[0]) : null;
  }
}
