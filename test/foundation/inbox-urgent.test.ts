import fs from 'node:fs';
import path from 'node:path';
import type { InboxRow, NewInboxRow } from '../../src/inbox/repository';
import { WELCOME_DEADLINE_MS } from '../../src/contacts/welcome';
import { startTestApp, TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { postCallback, signedPost } from '../helpers/wecom-callback';

/**
 * The welcome lane (src/inbox/repository.ts dueHeads): an add event whose WelcomeCode is still
 * inside WeCom's 20 s window is claimed before other due heads, and never before an older
 * unfinished event of its own customer. Events arrive as signed callbacks through the real server
 * (which sets urgent_until from the parsed event); backlogs are inserted in bulk, as WeCom's
 * retries after an outage would leave them. Claims are driven by hand with the app's manual clock.
 */

const FIXTURES = path.join(__dirname, '../fixtures/wecom-events');
const addTemplate = fs.readFileSync(path.join(FIXTURES, 'add_external_contact.xml'), 'utf8');
const halfTemplate = fs.readFileSync(path.join(FIXTURES, 'add_half_external_contact.xml'), 'utf8');
const editTemplate = fs.readFileSync(path.join(FIXTURES, 'edit_external_contact.xml'), 'utf8');
const textTemplate = fs.readFileSync(path.join(FIXTURES, 'app_text_message.xml'), 'utf8');

const T0 = Date.parse('2026-03-02T01:00:00Z');
const LEASE = 60_000;

function addEvent(customer: string, code: string | null): string {
  const xml = addTemplate.replace('woAJ2GCAAAXtWyujaWJHDDGi0mAAAA', customer).replace('1403610513', String(Math.floor(T0 / 1000)));
  return code === null ? xml.replace(/\s*<WelcomeCode>.*<\/WelcomeCode>/, '') : xml.replace('WELCOMECODE', code);
}

function editEvent(customer: string, seq: number): string {
  return editTemplate.replace('woAJ2GCAAAXtWyujaWJHDDGi0mAAAA', customer).replace('1403610513', String(1700000000 + seq));
}

/** `n` due edits, one customer each, received from `receivedAt` on, one ms apart. */
function backlog(n: number, prefix: string, receivedAt: number): NewInboxRow[] {
  return Array.from({ length: n }, (_, i) => ({
    dedupeKey: `${prefix}:${i}`, kind: 'edit_external_contact', orderKey: `customer:${prefix}${i}`,
    payload: editEvent(`${prefix}${i}`, i), eventTime: receivedAt + i, receivedAt: receivedAt + i,
  }));
}

describe('inbox welcome lane', () => {
  let app: TestApp;
  const clock = manualClock(new Date(T0));

  beforeEach(async () => {
    clock.set(new Date(T0));
    app = await startTestApp({ capabilities: false, clock });
  });

  afterEach(async () => {
    await app.stop();
  });

  /** Posts a signed callback through the real server at the clock's time; returns its inbox row. */
  async function deliver(xml: string): Promise<InboxRow & { urgentUntil: number | null }> {
    const res = await postCallback(app.url, signedPost(xml, { timestamp: Math.floor(clock().getTime() / 1000) }));
    expect(res.status).toBe(200);
    const [row] = await app.services.db.query<{ id: unknown; urgent_until: unknown }>(
      'SELECT id, urgent_until FROM inbox_events WHERE payload = ?', [xml]);
    const stored = (await app.services.inbox.get(Number(row.id)))!;
    return { ...stored, urgentUntil: row.urgent_until === null ? null : Number(row.urgent_until) };
  }

  async function insert(rows: NewInboxRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1_000) await app.services.inbox.insertMany(rows.slice(i, i + 1_000));
  }

  const claim = (limit = 4) => app.services.inbox.claim({ instanceId: 'test', now: clock().getTime(), leaseMs: LEASE, limit });
  const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

  it('should claim an add event with a welcome code in the very next claim, ahead of 2,000 due events of other customers', async () => {
    await insert(backlog(2_000, 'wmQUEUED', T0 - 60_000));
    clock.advance(1_000);
    const welcome = await deliver(addEvent('wmNEWCOMER', 'WC-NEXT'));
    expect(welcome.urgentUntil).toBe(clock().getTime() + WELCOME_DEADLINE_MS);

    const { claimed } = await claim(4);
    // The welcome first, then the backlog in its usual order (oldest due first).
    const oldest = await app.services.db.query<{ id: unknown }>(
      "SELECT id FROM inbox_events WHERE dedupe_key IN ('wmQUEUED:0', 'wmQUEUED:1', 'wmQUEUED:2') ORDER BY id");
    expect(ids(claimed)).toEqual([welcome.id, ...oldest.map((r) => Number(r.id))]);
    expect(claimed[0].kind).toBe('add_external_contact');
  });

  it('should not claim a welcome before an older unfinished event of its customer, and claim it right after that one finishes', async () => {
    const older = await deliver(editEvent('wmSAME', 1));
    await insert(backlog(2_000, 'wmQUEUED', T0 + 1));
    clock.advance(2_000);
    const welcome = await deliver(addEvent('wmSAME', 'WC-BEHIND'));
    expect(welcome.urgentUntil).not.toBeNull();

    // The older event is the key's head: it starts, its welcome behind it does not.
    const first = await claim(4);
    expect(ids(first.claimed)).toContain(older.id);
    expect(ids(first.claimed)).not.toContain(welcome.id);
    // While it runs, claims pass the welcome by, however urgent.
    clock.advance(1_000);
    const second = await claim(4);
    expect(second.claimed).toHaveLength(4);
    expect(ids(second.claimed)).not.toContain(welcome.id);

    const run = first.claimed.find((r) => r.id === older.id)!;
    clock.advance(1_000);
    expect(await app.services.inbox.markDone(run.id, run.leaseToken!, clock().getTime(), run.orderKey)).toBe(true);
    const third = await claim(4);
    expect(ids(third.claimed)[0]).toBe(welcome.id);
  });

  it('should not start a welcome whose older event came back (requeued from dead) after the welcome became the head', async () => {
    const older = await deliver(editEvent('wmREQUEUED', 1));
    const run = (await claim(1)).claimed[0];
    expect(run.id).toBe(older.id);
    clock.advance(1_000);
    const welcome = await deliver(addEvent('wmREQUEUED', 'WC-STALE'));
    expect((await claim(4)).claimed).toEqual([]); // places the welcome behind the running event
    // Parked dead: a dead event does not hold back its key, so the welcome is promoted to head.
    expect(await app.services.inbox.markFailed(run.id, run.leaseToken!,
      { error: 'bad payload', retryAt: null, failures: 1, firstFailedAt: clock().getTime() }, run.orderKey)).toBe(true);
    // An operator requeues it while the welcome's window is open: the welcome's head mark is now stale.
    expect(await app.services.inbox.retry(older.id, clock().getTime())).toBe(true);

    const first = await claim(4);
    expect(ids(first.claimed)).toEqual([older.id]);
    const [mark] = await app.services.db.query<{ head_state: unknown; status: string }>('SELECT head_state, status FROM inbox_events WHERE id = ?', [welcome.id]);
    expect({ headState: Number(mark.head_state), status: mark.status }).toEqual({ headState: 2, status: 'pending' });

    const again = first.claimed[0];
    await app.services.inbox.markDone(again.id, again.leaseToken!, clock().getTime(), again.orderKey);
    expect(ids((await claim(4)).claimed)).toEqual([welcome.id]);
  });

  it('should order a welcome past its 20 s window as an ordinary event', async () => {
    await insert(backlog(10, 'wmOLDER', T0 - 60_000));
    const expired = await deliver(addEvent('wmEXPIRED', 'WC-EXPIRED'));
    await insert(backlog(5, 'wmNEWER', T0 + 1_000));
    clock.advance(5_000);
    const open = await deliver(addEvent('wmOPEN', 'WC-OPEN'));

    // Exactly at the first one's urgent_until: its window is closed, the second's is not.
    clock.set(new Date(expired.urgentUntil!));
    expect(open.urgentUntil).toBeGreaterThan(clock().getTime());
    const { claimed } = await claim(20);
    const byDue = await app.services.db.query<{ id: unknown }>(
      'SELECT id FROM inbox_events WHERE id <> ? ORDER BY next_attempt_at, id', [open.id]);
    expect(ids(claimed)).toEqual([open.id, ...byDue.map((r) => Number(r.id))]);
    // The expired welcome sits between the events received before and after it.
    expect(ids(claimed).indexOf(expired.id)).toBe(1 + 10);
  });

  it('should store urgent_until from the parsed event at ingress: an add or half add with a welcome code, nothing else', async () => {
    const receivedAt = clock().getTime();
    const withCode = await deliver(addEvent('wmINGRESS1', 'WC-INGRESS'));
    const half = await deliver(halfTemplate.replace('WELCOMECODE2', 'WC-HALF'));
    const withoutCode = await deliver(addEvent('wmINGRESS2', null));
    const edit = await deliver(editEvent('wmINGRESS1', 7));
    // A message that merely quotes a welcome code is not an add event.
    const quoting = await deliver(textTemplate.replace('4561255354251345929', '888000111')
      .replace(/<Content>.*<\/Content>/, '<Content><![CDATA[<WelcomeCode>WC-QUOTED</WelcomeCode> add_external_contact]]></Content>'));
    expect(quoting.kind).toBe('app_message');

    expect([withCode, half, withoutCode, edit, quoting].map((r) => ({ kind: r.kind, urgentUntil: r.urgentUntil }))).toEqual([
      { kind: 'add_external_contact', urgentUntil: receivedAt + WELCOME_DEADLINE_MS },
      { kind: 'add_half_external_contact', urgentUntil: receivedAt + WELCOME_DEADLINE_MS },
      { kind: 'add_external_contact', urgentUntil: null },
      { kind: 'edit_external_contact', urgentUntil: null },
      { kind: 'app_message', urgentUntil: null },
    ]);
  });
});
