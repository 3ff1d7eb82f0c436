import type { RowDataPacket } from 'mysql2';
import { createConnection, type Connection, type ResultSetHeader } from 'mysql2/promise';
import { fixedClock } from '../../src/clock';
import { parseDatabaseUrl } from '../../src/config';
import { advanceIdTrail, idTrailHighWater, LATE_COMMIT_MARGIN_MS, type IdTrail } from '../../src/contacts/cursors';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { num } from '../../src/db/sql';
import { tiersRefresh } from '../../src/judgement/jobs';
import { findCustomerFacts, refreshCustomerFacts } from '../../src/messages/facts';
import { insertMessages } from '../../src/messages/repository';
import type { NewMessage } from '../../src/messages/types';
import { startTestApp, TestApp } from '../helpers/app';
import { TEST_DB } from '../helpers/db';
import { DAY, seedCustomers } from '../helpers/seed';

/**
 * Invariant under attack: a cursor over ids or stamps never skips a row, whatever order the
 * transactions commit in, and the work behind it stays exactly once. The attack: a transaction A
 * writes a row (taking the lower id, or the earlier stamp) and stays open; B writes a later row and
 * commits; the scan, fold or refresh runs; A commits; it runs again. A's row must be processed once.
 *
 * On MariaDB, A is a real open transaction on a second connection. SQLite has one writer at a time,
 * so B cannot commit while A is open there; a late row is what a writer that took its id or stamp
 * before waiting for the lock leaves behind, and the SQLite runs write exactly that row (the lower
 * id, the earlier stamp) at the moment A would have committed.
 */

const NOW = new Date('2026-11-20T10:00:00+08:00');
const T = NOW.getTime();
const MIN = 60_000;

type CountRow = { n: number } & RowDataPacket;

interface LateRow {
  id: number;
  commit(): Promise<void>;
}

describe('cursors under late commits', () => {
  let app: TestApp;
  let raw: Connection[] = [];
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
  });
  afterEach(async () => {
    for (const c of raw) await c.end().catch(() => undefined);
    raw = [];
  });
  afterAll(async () => {
    await app?.stop();
  });

  const db = () => app.services.db;

  async function rawConnection(): Promise<Connection> {
    const c = await createConnection({ uri: app.database.url, supportBigNumbers: true });
    raw.push(c);
    return c;
  }

  /** Writes a row in a transaction that is still open when this returns (see the file comment). */
  async function lateInsert(table: string, row: Record<string, unknown>): Promise<LateRow> {
    const cols = Object.keys(row);
    const sql = (extra: string[] = []) =>
      `INSERT INTO ${table} (${[...extra, ...cols].join(', ')}) VALUES (${[...extra, ...cols].map(() => '?').join(', ')})`;
    if (TEST_DB === 'mariadb') {
      const c = await rawConnection();
      await c.query('BEGIN');
      const [r] = await c.query<ResultSetHeader>(sql(), Object.values(row));
      return { id: r.insertId, commit: async () => void (await c.query('COMMIT')) };
    }
    // Take the id now with a placeholder no reader counts; the real row takes it over at "commit".
    const placeholder = placeholderOf(table, row);
    await db().exec(`INSERT INTO ${table} (${Object.keys(placeholder).join(', ')}) VALUES (${Object.keys(placeholder).map(() => '?').join(', ')})`,
      Object.values(placeholder));
    const [p] = await db().query<{ id: unknown }>(`SELECT MAX(id) AS id FROM ${table}`);
    const id = num(p.id);
    return {
      id,
      commit: () => db().transaction(async (tx) => {
        await tx.exec(`DELETE FROM ${table} WHERE id = ?`, [id]);
        await tx.exec(sql(['id']), [id, ...Object.values(row)]);
      }),
    };
  }

  function placeholderOf(table: string, row: Record<string, unknown>): Record<string, unknown> {
    if (table === 'messages') return { ...row, msgid: `reserved:${String(row.msgid)}`, direction: 'out', chat_id: 'reserved', external_user_id: null };
    throw new Error(`no placeholder for ${table}`);
  }

  const inbound = (msgid: string, customer: string, text: string, at: number) => ({
    msgid, channel: 'archive', direction: 'in', msg_type: 'text', external_user_id: customer, user_id: 'zhangsan', text, msg_time: at, created_at: at,
  });
  const newMessage = (msgid: string, customer: string, direction: 'in' | 'out', at: number, text = '你好'): NewMessage => ({
    msgid, channel: 'archive', direction, msgType: 'text', externalUserId: customer, userId: 'zhangsan', text, msgTime: at,
  });

  describe('complaint scan', () => {
    it('should suggest a 投诉 committed after a later message was scanned, exactly once', async () => {
      const scan = (at: number) => app.services.judgement.complaints.scanInbound(new Date(at));
      await scan(T - MIN); // start from an empty window
      const a = await lateInsert('messages', inbound('late:a', 'wmLATE1', '快递一直不到，我要投诉', T - 5_000));
      await insertMessages(db(), [newMessage('late:b', 'wmLATE2', 'in', T - 4_000, '质量太差，我要投诉')], T);
      const [b] = await db().query<{ id: unknown }>("SELECT id FROM messages WHERE msgid = 'late:b'");
      expect(a.id).toBeLessThan(num(b.id));

      expect(await scan(T)).toEqual({ scanned: 1, suggested: 1 }); // A is still invisible
      // The rep dismisses B's flag: a re-read must not bring it back.
      const [flagB] = await db().query<{ id: unknown }>("SELECT id FROM complaints WHERE source_ref = 'late:b'");
      await app.services.judgement.complaints.close(num(flagB.id), 'zhangsan', 'not_a_complaint', '', NOW);

      await a.commit();
      expect((await scan(T + MIN)).suggested).toBe(1);
      expect((await scan(T + 2 * MIN)).suggested).toBe(0);
      expect((await scan(T + 3 * LATE_COMMIT_MARGIN_MS)).suggested).toBe(0);

      const flags = await db().query<{ source_ref: string; status: string; external_user_id: string }>(
        "SELECT source_ref, status, external_user_id FROM complaints WHERE source = 'keyword' AND source_ref IN ('late:a', 'late:b') ORDER BY source_ref");
      expect(flags).toEqual([
        { source_ref: 'late:a', status: 'open', external_user_id: 'wmLATE1' },
        { source_ref: 'late:b', status: 'closed', external_user_id: 'wmLATE2' },
      ]);
      const [open] = await app.services.judgement.complaints.openOf('wmLATE1');
      expect(open).toMatchObject({ source: 'keyword', status: 'open' });
    });

    it('should move the floor past an id only once a scan a margin later has read it', () => {
      let trail: IdTrail = { floor: 0, marks: [] };
      trail = advanceIdTrail(trail, T, 100);
      expect(trail.floor).toBe(0); // ids below 100 may still be in open transactions
      trail = advanceIdTrail(trail, T + LATE_COMMIT_MARGIN_MS - 1, 150);
      expect(trail.floor).toBe(0);
      trail = advanceIdTrail(trail, T + LATE_COMMIT_MARGIN_MS, 150);
      expect(trail).toEqual({ floor: 100, marks: [{ at: T + LATE_COMMIT_MARGIN_MS - 1, maxId: 150 }] });
      expect(idTrailHighWater(trail)).toBe(150);
      // After downtime, the first scan still re-reads everything above the floor before moving it.
      trail = advanceIdTrail(trail, T + 50 * DAY, 150);
      expect(trail).toEqual({ floor: 150, marks: [] });
    });
  });

  describe('customer facts fold', () => {
    const factsOf = async (customer: string) => (await findCustomerFacts(db(), [customer])).get(customer)!;

    it('should fold a message committed below the watermark exactly once (counts, unanswered since)', async () => {
      const a = await lateInsert('messages', inbound('fold:a', 'wmFOLD1', '在吗？', T - 10 * MIN));
      await insertMessages(db(), [newMessage('fold:b', 'wmFOLD1', 'in', T - 5 * MIN)], T);
      expect(await factsOf('wmFOLD1')).toMatchObject({ inboundCount: 1, unansweredSince: new Date(T - 5 * MIN) });

      await a.commit();
      await refreshCustomerFacts(db(), ['wmFOLD1'], T);
      await refreshCustomerFacts(db(), ['wmFOLD1'], T);
      expect(await factsOf('wmFOLD1')).toMatchObject({
        inboundCount: 2, outboundCount: 0, conversations: 1, unansweredSince: new Date(T - 10 * MIN), lastInboundAt: new Date(T - 5 * MIN),
      });
      // The next real message folds on top of the repaired state, not of a recount gone stale.
      await insertMessages(db(), [newMessage('fold:c', 'wmFOLD1', 'out', T - MIN)], T);
      expect(await factsOf('wmFOLD1')).toMatchObject({ inboundCount: 2, outboundCount: 1, answeredConversations: 1, unansweredSince: null });
    });

    if (TEST_DB === 'mariadb') {
      let second: Database;
      beforeAll(async () => {
        const ds = createDataSource(parseDatabaseUrl(app.database.url)!);
        await ds.initialize();
        second = new Database(ds);
      });
      afterAll(async () => {
        await second?.ds.destroy();
      });

      it('should keep a message another instance committed while an ingest transaction had already read (stale snapshot)', async () => {
        let released!: () => void;
        const release = new Promise<void>((r) => (released = r));
        let readDone!: () => void;
        const read = new Promise<void>((r) => (readDone = r));
        // Like archive ingest: the transaction reads first (its snapshot starts here), inserts later.
        const ingest = second.transaction(async (tx) => {
          await tx.query('SELECT COUNT(*) AS n FROM messages');
          readDone();
          await release;
          return insertMessages(tx, [newMessage('stale:a', 'wmFOLD2', 'in', T - 10 * MIN)], T);
        });
        await read;
        await insertMessages(db(), [newMessage('stale:b', 'wmFOLD2', 'in', T - 5 * MIN)], T);
        released();
        await ingest;
        expect(await factsOf('wmFOLD2')).toMatchObject({ inboundCount: 2, conversations: 1, unansweredSince: new Date(T - 10 * MIN) });
      });

      it('should give a customer\'s message its id only after the open writer of that customer commits', async () => {
        let released!: () => void;
        const release = new Promise<void>((r) => (released = r));
        let wrote!: () => void;
        const written = new Promise<void>((r) => (wrote = r));
        const first = second.transaction(async (tx) => {
          await insertMessages(tx, [newMessage('order:a', 'wmFOLD3', 'in', T - 10 * MIN)], T);
          wrote();
          await release;
        });
        await written;
        const later = db().transaction((tx) => insertMessages(tx, [newMessage('order:b', 'wmFOLD3', 'in', T - 5 * MIN)], T));
        let laterEnded: string | null = null;
        later.then(() => (laterEnded = 'committed'), (err: Error) => (laterEnded = `failed (${err.message})`));
        try {
          const watcher = await rawConnection();
          await watcher.query('SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED');
          // Wait (no timer tuning: the condition itself) until the later writer is inside its
          // statement on the customer's facts row, which the first holds. Read from PROCESSLIST,
          // not INNODB_TRX: on a loaded server InnoDB's cached view once missed the wait for all of
          // innodb_lock_wait_timeout (the writer then failed with a lock wait timeout).
          for (;;) {
            const [rows] = await watcher.query<CountRow[]>(
              `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
               WHERE ID <> CONNECTION_ID() AND COMMAND = 'Query' AND INFO LIKE '%customer_facts%' AND INFO LIKE '%wmFOLD3%'`);
            if (Number(rows[0].n) > 0) break;
            if (laterEnded) throw new Error(`the later writer ${laterEnded} before it was seen waiting for the first one`);
            // A short pause between polls: hammering information_schema starves the very writer watched.
            await new Promise((r) => setTimeout(r, 5));
          }
          const [pending] = await watcher.query<CountRow[]>(
            "SELECT COUNT(*) AS n FROM messages WHERE msgid = 'order:b'");
          expect(Number(pending[0].n)).toBe(0); // not even an uncommitted row: no id taken yet
        } finally {
          released();
          await first;
          await later;
        }
        const ids = await db().query<{ msgid: string; id: unknown }>("SELECT msgid, id FROM messages WHERE msgid IN ('order:a', 'order:b') ORDER BY id");
        expect(ids.map((r) => r.msgid)).toEqual(['order:a', 'order:b']);
        expect(await factsOf('wmFOLD3')).toMatchObject({ inboundCount: 2, unansweredSince: new Date(T - 10 * MIN) });
      }, 120_000);
    }
  });

  describe('tiers refresh', () => {
    // Its own database: the refresh reads every change stamp, and the tests above leave some.
    let tiers: TestApp;
    beforeAll(async () => {
      tiers = await startTestApp({ clock: fixedClock(NOW) });
    });
    afterAll(async () => {
      await tiers?.stop();
    });
    const db = () => tiers.services.db;
    const refresh = (at: number) => tiersRefresh.run({ now: new Date(at), services: tiers.services, log: tiers.logs.log, progress: () => undefined });

    it('should re-tier a customer whose order committed after a later change was refreshed, once', async () => {
      await seedCustomers(db(), [
        { id: 'wmTIER1', rep: 'zhangsan', addedAt: T - 400 * DAY },
        { id: 'wmTIER2', rep: 'zhangsan', addedAt: T - 400 * DAY },
      ], T - DAY);
      await refresh(T - 30 * MIN);
      await tiers.services.judgement.tiers.recompute(['wmTIER1', 'wmTIER2'], new Date(T - 30 * MIN), 'manual');
      const order = (id: string, customer: string, stamp: number) => ({
        external_order_id: id, external_user_id: customer, amount: 30000, paid_at: T - DAY, source: 'api', created_at: stamp, updated_at: stamp,
      });

      let a: { commit(): Promise<void> };
      if (TEST_DB === 'mariadb') {
        const c = await createConnection({ uri: tiers.database.url });
        raw.push(c);
        await c.query('BEGIN');
        const row = order('o-late-a', 'wmTIER1', T - 2 * MIN);
        await c.query(`INSERT INTO orders (${Object.keys(row).join(', ')}) VALUES (?)`, [Object.values(row)]);
        a = { commit: async () => void (await c.query('COMMIT')) };
      } else {
        // The writer read its clock (T - 2 min), then waited for the write lock past the refresh.
        const row = order('o-late-a', 'wmTIER1', T - 2 * MIN);
        a = { commit: async () => void (await db().exec(`INSERT INTO orders (${Object.keys(row).join(', ')}) VALUES (?,?,?,?,?,?,?)`, Object.values(row))) };
      }
      const later = order('o-late-b', 'wmTIER2', T - MIN);
      await db().exec(`INSERT INTO orders (${Object.keys(later).join(', ')}) VALUES (?,?,?,?,?,?,?)`, Object.values(later));

      expect(await refresh(T)).toEqual({ customers: 1, changed: 1 }); // wmTIER2; A is invisible
      await a.commit();
      expect(await refresh(T + 5 * MIN)).toEqual({ customers: 1, changed: 1 }); // wmTIER1, and only it
      expect(await refresh(T + 10 * MIN)).toEqual({ customers: 0, changed: 0 });
      expect(await refresh(T + 10 * MIN + LATE_COMMIT_MARGIN_MS)).toEqual({ customers: 0, changed: 0 });

      const history = await db().query<{ external_user_id: string; cause: string }>(
        "SELECT external_user_id, cause FROM tier_history WHERE external_user_id IN ('wmTIER1', 'wmTIER2') AND cause = 'data-changed' AND at >= ? ORDER BY external_user_id", [T]);
      expect(history.map((h) => h.external_user_id)).toEqual(['wmTIER1', 'wmTIER2']);
      const [tier] = await db().query<{ tier: string }>("SELECT tier FROM customer_tiers WHERE external_user_id = 'wmTIER1'");
      expect(tier.tier).not.toBe('potential');
    });
  });
});
