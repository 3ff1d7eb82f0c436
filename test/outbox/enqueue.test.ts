import { AppError } from '../../src/errors';
import { enqueue } from '../../src/outbox/service';
import type { NewIntent } from '../../src/outbox/types';
import { openTestDb, OpenDb } from '../wecom/support';

/**
 * Invariants: an intent is written on the caller's transaction (it rolls back with the decision),
 * and one idempotency key is one intent (a second enqueue returns the first, unchanged).
 */
const T0 = Date.UTC(2026, 2, 2, 1, 30);

function appMessage(key: string, content = '今天有 3 位客户需要关怀'): NewIntent {
  return { kind: 'app_message', toUser: 'rep1', message: { msgtype: 'text', text: { content } }, key, dueAt: T0, origin: 'test' };
}

describe('outbox enqueue', () => {
  let o: OpenDb;
  beforeAll(async () => {
    o = await openTestDb();
  });
  afterAll(async () => {
    await o.close();
  });

  it('writes the intent in the caller\'s transaction: a rolled-back decision leaves no intent', async () => {
    await expect(o.db.transaction(async (tx) => {
      await enqueue(tx, appMessage('rollback-1'), T0);
      throw new Error('the decision failed');
    })).rejects.toThrow('the decision failed');
    const rows = await o.db.query(`SELECT id FROM outbox_intents WHERE idem_key = 'rollback-1'`);
    expect(rows).toHaveLength(0);
  });

  it('a second enqueue with the same key is a no-op returning the first intent', async () => {
    const first = await o.db.transaction((tx) => enqueue(tx, appMessage('same-key', 'first'), T0));
    const second = await o.db.transaction((tx) => enqueue(tx, appMessage('same-key', 'second'), T0 + 5));
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.intent.id).toBe(first.intent.id);
    expect(second.intent.body).toEqual(expect.objectContaining({ message: { msgtype: 'text', text: { content: 'first' } } }));
    expect(second.intent).toEqual(expect.objectContaining({ status: 'pending', paceKey: 'member:rep1', dueAt: T0, createdAt: T0 }));
    const [{ n }] = await o.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM outbox_intents WHERE idem_key = 'same-key'`);
    expect(Number(n)).toBe(1);
  });

  it('enqueues racing on one key from two transactions make one intent', async () => {
    const results = await Promise.all([1, 2, 3].map((n) => o.db.transaction((tx) => enqueue(tx, appMessage('race-key', `try ${n}`), T0))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.intent.id)).size).toBe(1);
  });

  it('refuses a bad intent with a sentence naming the field', async () => {
    const bad = { kind: 'mass_task', chatType: 'single', sender: '', key: 'bad-1', dueAt: T0, origin: 'test' } as unknown as NewIntent;
    const err = await o.db.transaction((tx) => enqueue(tx, bad, T0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    expect((err as AppError).message).toMatch(/outbox intent "bad-1" is invalid: .*sender/);
  });
});
