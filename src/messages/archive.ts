import { z } from 'zod';
import type { Database, Sql } from '../db/database';
import { placeholders } from '../db/sql';
import { readCursor, writeCursor } from '../contacts/cursors';
import { existingMsgids, insertMessages } from './repository';
import type { NewMessage } from './types';

/**
 * 会话内容存档 ingest (API.md 6.1). Tencent's Finance SDK only runs natively, so a puller outside
 * Fencun decrypts the records and posts them here as JSON, in batches of at most 1000, exactly in
 * the SDK's decrypted shape. Idempotent by msgid: re-sending a batch stores nothing twice.
 */

export const MAX_ARCHIVE_BATCH = 1000;

const required = (type: string) => ({ error: (i: { input: unknown }) => (i.input === undefined ? 'is required' : `must be ${type}`) });

/**
 * Bounds of what may be stored, so that nothing accepted here can later break a reader: a time
 * must be a real date after WeCom existed (2010) and not past tomorrow; ids fit their columns.
 */
export const ARCHIVE_MIN_MSGTIME = Date.UTC(2010, 0, 1);
/** Without a "now" (the CLI reading a file), the latest time any message could have: 2100. */
const ARCHIVE_MAX_MSGTIME = Date.UTC(2100, 0, 1);
const FUTURE_SLACK_MS = 86_400_000;
const MAX_TEXT_CHARS = 100_000;
const MAX_RECIPIENTS = 2_000;

const id = (what: string) => z.string('must be a string').max(128, `is longer than 128 characters (${what})`);

const ArchiveRecord = z.object({
  msgid: z.string(required('a string')).min(1, 'is required').max(180, 'is longer than 180 characters'),
  action: z.enum(['send', 'recall', 'switch'], required('send, recall or switch')),
  from: id('a userid').optional(),
  tolist: z.array(id('a userid'), 'must be a list of userids').max(MAX_RECIPIENTS, `has more than ${MAX_RECIPIENTS} recipients`).optional(),
  roomid: id('a roomid').optional(),
  msgtime: z.number(required('epoch milliseconds')).int('must be whole milliseconds').positive('must be epoch milliseconds')
    .max(ARCHIVE_MAX_MSGTIME, 'is after the year 2100; send epoch milliseconds'),
  msgtype: z.string('must be a string').max(32, 'is longer than 32 characters').optional(),
  text: z.object({ content: z.string(required('a string')).max(MAX_TEXT_CHARS, `is longer than ${MAX_TEXT_CHARS} characters`) }, 'must be an object with content').optional(),
  /** The SDK's sequence number, if the puller passes it: Fencun keeps the highest for resuming. */
  seq: z.number('must be a number').int().nonnegative().optional(),
}).loose();

/** Rules across fields, checked even when a field is malformed so that every problem is reported at once. */
function crossFieldIssues(raw: unknown, now: number | null): { field: string; reason: string }[] {
  if (!raw || typeof raw !== 'object') return [];
  const r = raw as Record<string, unknown>;
  const out: { field: string; reason: string }[] = [];
  if (typeof r.msgtime === 'number' && r.msgtime >= 1_000_000_000_000) {
    if (r.msgtime < ARCHIVE_MIN_MSGTIME) out.push({ field: 'msgtime', reason: `is before ${new Date(ARCHIVE_MIN_MSGTIME).toISOString()}` });
    else if (now !== null && r.msgtime > now + FUTURE_SLACK_MS && r.msgtime <= ARCHIVE_MAX_MSGTIME) {
      out.push({ field: 'msgtime', reason: `${new Date(r.msgtime).toISOString()} is in the future` });
    }
  }
  if (r.action === 'switch') return out;
  if (r.from === undefined) out.push({ field: 'from', reason: 'is required for send and recall' });
  if (r.msgtype === undefined) out.push({ field: 'msgtype', reason: 'is required for send and recall' });
  if (r.action === 'send' && !r.roomid && (!Array.isArray(r.tolist) || r.tolist.length === 0)) {
    out.push({ field: 'tolist', reason: 'needs at least one recipient when roomid is empty' });
  }
  if (r.msgtype === 'text' && typeof (r.text as { content?: unknown } | undefined)?.content !== 'string') {
    out.push({ field: 'text.content', reason: 'is required for msgtype text' });
  }
  // The SDK reports milliseconds; seconds would put every message in 1970.
  if (typeof r.msgtime === 'number' && r.msgtime > 0 && r.msgtime < 1_000_000_000_000) {
    out.push({ field: 'msgtime', reason: 'looks like seconds; send epoch milliseconds' });
  }
  return out;
}

export type ArchiveRecord = z.output<typeof ArchiveRecord>;

export interface RecordError {
  index: number;
  msgid: string | null;
  field: string;
  reason: string;
}

/** `now` bounds msgtime from above (a day of clock skew allowed); the CLI, reading old files, may omit it. */
export function validateArchiveRecords(records: unknown[], ctx: { now?: number } = {}): { records: ArchiveRecord[]; errors: RecordError[] } {
  const out: ArchiveRecord[] = [];
  const errors: RecordError[] = [];
  records.forEach((rec, index) => {
    const r = ArchiveRecord.safeParse(rec);
    const issues = r.success ? [] : r.error.issues.map((i) => ({ field: i.path.join('.') || '(record)', reason: i.message }));
    const seen = new Set(issues.map((i) => i.field));
    issues.push(...crossFieldIssues(rec, ctx.now ?? null).filter((i) => !seen.has(i.field)));
    if (r.success && issues.length === 0) {
      out.push(r.data);
      return;
    }
    const msgid = rec && typeof rec === 'object' && typeof (rec as { msgid?: unknown }).msgid === 'string' ? (rec as { msgid: string }).msgid : null;
    for (const i of issues) errors.push({ index, msgid, ...i });
  });
  return { records: out, errors };
}

export interface ArchiveIngestResult {
  stored: number;
  duplicates: number;
  /** `switch` records (a member switching corps) carry no message. */
  ignored: number;
}

/** Stores validated records in one transaction; duplicates (by msgid) are skipped. */
export async function ingestArchiveRecords(db: Database, records: ArchiveRecord[], now: number): Promise<ArchiveIngestResult> {
  const messages = records.filter((r) => r.action !== 'switch');
  const ignored = records.length - messages.length;
  if (messages.length === 0) return { stored: 0, duplicates: 0, ignored };
  return db.transaction(async (tx) => {
    const kinds = await classifyParticipants(tx, messages.flatMap((r) => [r.from!, ...(r.tolist ?? [])]));
    const mapped = messages.map((r) => toMessage(r, kinds));
    const before = await existingMsgids(tx, mapped.map((m) => m.msgid));
    const fresh = mapped.filter((m) => !before.has(m.msgid));
    const stored = await insertMessages(tx, dedupeById(fresh), now);
    const maxSeq = Math.max(-1, ...records.map((r) => r.seq ?? -1));
    const maxTime = Math.max(...records.map((r) => r.msgtime));
    const prev = (await readCursor<ArchiveWatermark>(tx, ARCHIVE_CURSOR)) ?? { seq: null, msgTime: null, ingestedAt: null, notifiedAt: null };
    await writeCursor(tx, ARCHIVE_CURSOR, {
      ...prev,
      seq: maxSeq >= 0 ? Math.max(prev.seq ?? -1, maxSeq) : prev.seq,
      msgTime: Math.max(prev.msgTime ?? 0, maxTime),
      ingestedAt: now,
    } satisfies ArchiveWatermark, now);
    return { stored, duplicates: mapped.length - stored, ignored };
  });
}

export const ARCHIVE_CURSOR = 'archive';

/** What the puller needs to resume and the operator to see that archive data flows. */
export interface ArchiveWatermark {
  /** Highest SDK seq ingested (when the puller sends seq). */
  seq: number | null;
  msgTime: number | null;
  ingestedAt: number | null;
  /** Last msgaudit_notify callback: WeCom has new archive data. */
  notifiedAt: number | null;
}

export async function readArchiveWatermark(db: Sql): Promise<ArchiveWatermark> {
  return (await readCursor<ArchiveWatermark>(db, ARCHIVE_CURSOR)) ?? { seq: null, msgTime: null, ingestedAt: null, notifiedAt: null };
}

export async function recordArchiveNotify(db: Database, at: number, now: number): Promise<void> {
  await db.transaction(async (tx) => {
    const prev = await readArchiveWatermark(tx);
    await writeCursor(tx, ARCHIVE_CURSOR, { ...prev, notifiedAt: Math.max(prev.notifiedAt ?? 0, at) }, now);
  });
}

type Kind = 'member' | 'external';

/**
 * Who is a member and who a customer. Members and known contacts are looked up; otherwise WeCom's
 * id shape decides: external userids start with wo/wm (robots wb).
 */
async function classifyParticipants(db: Sql, ids: string[]): Promise<Map<string, Kind>> {
  const unique = [...new Set(ids.filter(Boolean))];
  const kinds = new Map<string, Kind>();
  for (let i = 0; i < unique.length; i += 500) {
    const part = unique.slice(i, i + 500);
    const members = await db.query<{ user_id: string }>(`SELECT user_id FROM members WHERE user_id IN (${placeholders(part.length)})`, part);
    for (const m of members) kinds.set(m.user_id, 'member');
    const contacts = await db.query<{ external_user_id: string }>(
      `SELECT external_user_id FROM external_contacts WHERE external_user_id IN (${placeholders(part.length)})`, part);
    for (const c of contacts) if (!kinds.has(c.external_user_id)) kinds.set(c.external_user_id, 'external');
  }
  for (const id of unique) if (!kinds.has(id)) kinds.set(id, /^w[mob]/.test(id) ? 'external' : 'member');
  return kinds;
}

function toMessage(r: ArchiveRecord, kinds: Map<string, Kind>): NewMessage {
  const from = r.from!;
  const fromCustomer = kinds.get(from) === 'external';
  const to = r.tolist ?? [];
  const chatId = r.roomid ? r.roomid : null;
  const firstMember = to.find((t) => kinds.get(t) === 'member') ?? null;
  const firstCustomer = to.find((t) => kinds.get(t) === 'external') ?? null;
  return {
    msgid: `archive:${r.msgid}`,
    channel: 'archive',
    direction: fromCustomer ? 'in' : 'out',
    msgType: r.action === 'recall' ? 'recall' : r.msgtype!,
    externalUserId: fromCustomer ? from : chatId ? null : firstCustomer,
    userId: fromCustomer ? (chatId ? null : firstMember) : from,
    chatId,
    text: r.text?.content ?? null,
    msgTime: r.msgtime,
  };
}

function dedupeById(messages: NewMessage[]): NewMessage[] {
  const seen = new Set<string>();
  return messages.filter((m) => (seen.has(m.msgid) ? false : (seen.add(m.msgid), true)));
}
