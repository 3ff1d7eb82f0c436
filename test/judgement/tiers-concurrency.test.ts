import { fixedClock } from '../../src/clock';
import type { Database } from '../../src/db/database';
import { TierService } from '../../src/judgement/tier-service';
import { startTestApp, TestApp } from '../helpers/app';
import { DAY, seedCustomers } from '../helpers/seed';

/**
 * Invariants of concurrent tier recomputes of one customer (compare-and-set on
 * customer_tiers.version, computed_at never moving back):
 * - a computation for an earlier instant never replaces one for a later instant;
 * - a computation from inputs read before another write landed never lands after it: it is
 *   computed again from fresh inputs;
 * - tier_history gets one row per real change, however many recomputes race.
 */

const NOW = new Date('2026-11-20T10:00:00+08:00');
const T = NOW.getTime();

/**
 * The database, except that the first transaction (where a recompute lands its batch, after it
 * read and computed everything) waits at `before` first: another instance stalled at the worst
 * moment.
 */
function holdingFirstTransaction(db: Database, before: () => Promise<void>): Database {
  let first = true;
  return {
    dialect: db.dialect,
    query: (sql: string, params?: unknown[]) => db.query(sql, params),
    exec: (sql: string, params?: unknown[]) => db.exec(sql, params),
    async transaction(fn: Parameters<Database['transaction']>[0]) {
      if (first) {
        first = false;
        await before();
      }
      return db.transaction(fn);
    },
  } as unknown as Database;
}

/** A gate a test opens explicitly, and a signal that something reached it. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const arrived = new Promise<void>((r) => (reached = r));
  return { open, opened, reached, arrived };
}

describe('tier recomputes racing on one customer', () => {
  let app: TestApp;
  let db: Database;
  /** A second TierService (another instance, in effect) whose first landing waits for `held.open()`. */
  let held: ReturnType<typeof gate>;
  let holding: TierService;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    db = app.services.db;
    await seedCustomers(db, ['wmLATE', 'wmSTALE', 'wmFIRST'].map((id) => ({ id, rep: 'zhangsan', addedAt: T - 100 * DAY })), T);
  });
  afterAll(async () => {
    await app?.stop();
  });
  beforeEach(() => {
    held = gate();
    // Only the first landing waits: a retry after a lost compare-and-set runs straight through.
    holding = new TierService({
      db: holdingFirstTransaction(db, async () => {
        held.reached();
        await held.opened;
      }),
      policy: app.services.judgement.policy, timeZone: app.services.config.timezone,
    });
  });

  const bigOrder = (id: string, ext: string) => db.exec(
    `INSERT INTO orders (external_order_id, external_user_id, amount, paid_at, product, source, created_at, updated_at)
     VALUES (?, ?, 30000, ?, '羊绒大衣', 'api', ?, ?)`, [id, ext, T - DAY, T, T]);
  const stored = async (ext: string) => {
    const [row] = await db.query<{ tier: string; computed_at: unknown; version: unknown }>(
      'SELECT tier, computed_at, version FROM customer_tiers WHERE external_user_id = ?', [ext]);
    return { tier: row.tier, computedAt: Number(row.computed_at), version: Number(row.version) };
  };
  const history = (ext: string) => db.query<{ from_tier: string | null; to_tier: string }>(
    'SELECT from_tier, to_tier FROM tier_history WHERE external_user_id = ? ORDER BY id', [ext]);

  it('should keep the newer result when the computation for an earlier instant finishes last', async () => {
    // The older computation reads the customer without the order, then stalls before writing.
    const older = holding.recompute(['wmLATE'], NOW, 'event');
    await held.arrived;
    await bigOrder('o-late', 'wmLATE');
    const newer = await app.services.judgement.tiers.recompute(['wmLATE'], new Date(T + 60_000), 'data-changed');
    expect(newer.changed).toBe(1);
    const landed = await stored('wmLATE');
    expect(landed.tier).not.toBe('potential');

    held.open();
    expect(await older).toEqual({ customers: 1, changed: 0 });
    expect(await stored('wmLATE')).toEqual(landed);
    expect(await history('wmLATE')).toEqual([{ from_tier: null, to_tier: landed.tier }]);
  });

  it('should recompute from fresh inputs when another write landed after its inputs were read (same instant)', async () => {
    await app.services.judgement.tiers.recompute(['wmSTALE'], NOW, 'manual');
    expect(await history('wmSTALE')).toEqual([{ from_tier: null, to_tier: 'potential' }]);

    const stale = holding.recompute(['wmSTALE'], NOW, 'event'); // reads: no order, still potential
    await held.arrived;
    await bigOrder('o-stale', 'wmSTALE');
    const fresh = await app.services.judgement.tiers.recompute(['wmSTALE'], NOW, 'data-changed');
    expect(fresh.changed).toBe(1);
    const { tier } = await stored('wmSTALE');
    expect(tier).not.toBe('potential');

    held.open();
    expect(await stale).toEqual({ customers: 1, changed: 0 });
    const after = await stored('wmSTALE');
    expect(after.tier).toBe(tier);
    expect(after.version).toBe(3); // the stale attempt lost its compare-and-set and landed again from fresh inputs
    expect(await history('wmSTALE')).toEqual([{ from_tier: null, to_tier: 'potential' }, { from_tier: 'potential', to_tier: tier }]);
  });

  it('should write one initial history row when several first computations race', async () => {
    // Four services (four instances) all read "no tier yet" and compute before any of them lands.
    const n = 4;
    let arrived = 0;
    let release!: () => void;
    const all = new Promise<void>((r) => (release = r));
    const services = Array.from({ length: n }, () => new TierService({
      db: holdingFirstTransaction(db, async () => {
        if (++arrived === n) release();
        await all;
      }),
      policy: app.services.judgement.policy, timeZone: app.services.config.timezone,
    }));
    const results = await Promise.all(services.map((s) => s.recompute(['wmFIRST'], NOW, 'event')));
    expect(arrived).toBe(n);
    expect(results.reduce((sum, r) => sum + r.changed, 0)).toBe(1);
    expect(await history('wmFIRST')).toEqual([{ from_tier: null, to_tier: 'potential' }]);
    expect((await stored('wmFIRST')).tier).toBe('potential');
  });
});
