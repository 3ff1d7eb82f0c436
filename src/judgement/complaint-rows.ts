import type { Complaint, ComplaintResolutionCode, ComplaintStatus } from '../complaints/policy';
import { num, numOrNull } from '../db/sql';

const date = (v: unknown) => (numOrNull(v) === null ? null : new Date(num(v)));

/** A complaints row as the pure complaint policy's Complaint. */
export function rowToComplaint(r: Record<string, unknown>): Complaint {
  return {
    id: String(r.id),
    customerId: String(r.external_user_id),
    status: r.status as ComplaintStatus,
    source: r.source === 'keyword' ? 'keyword' : 'rep',
    openedAt: new Date(num(r.opened_at)),
    confirmedAt: date(r.confirmed_at),
    confirmedBy: (r.confirmed_by as string | null) ?? null,
    closedAt: date(r.closed_at),
    closedBy: (r.closed_by as string | null) ?? null,
    resolution: r.resolution_code
      ? { code: r.resolution_code as ComplaintResolutionCode, note: String(r.resolution_note ?? '') }
      : null,
  };
}
