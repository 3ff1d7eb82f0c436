import fc from 'fast-check';
import { EMPTY_FACTS, foldMessage, FoldMessage } from '../../src/messages/facts-fold';
import { findCustomerFacts, findUnansweredSince } from '../../src/messages/facts';
import { insertMessages } from '../../src/messages/repository';
import { recordTouch } from '../../src/touches/repository';
import { startTestApp, TestApp } from '../helpers/app';

const fold = (ms: Omit<FoldMessage, 'id'>[]) => ms.reduce((s, m, i) => foldMessage(s, { ...m, id: i + 1 }), EMPTY_FACTS);

describe('customer facts fold', () => {
  it.each([
    ['nothing yet', [], { conversations: 0, answeredConversations: 0, unansweredSince: null }],
    ['one unanswered question', [{ direction: 'in', at: 10 }], { conversations: 1, answeredConversations: 0, unansweredSince: 10 }],
    ['two lines, one reply', [{ direction: 'in', at: 10 }, { direction: 'in', at: 20 }, { direction: 'out', at: 30 }],
      { conversations: 1, answeredConversations: 1, unansweredSince: null, inboundCount: 2, outboundCount: 1 }],
    ['we wrote first, they never answered', [{ direction: 'out', at: 10 }], { conversations: 0, lastOutboundAt: 10, unansweredSince: null }],
    ['answered, then a new question', [{ direction: 'in', at: 10 }, { direction: 'out', at: 20 }, { direction: 'in', at: 30 }],
      { conversations: 2, answeredConversations: 1, unansweredSince: 30, lastInboundAt: 30 }],
  ] as const)('%s', (_name, messages, expected) => {
    expect(fold(messages as never)).toMatchObject(expected);
  });
});

describe('customer facts in the database', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should equal a recount however the messages arrive (order, batches, duplicates)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ direction: fc.constantFrom('in' as const, 'out' as const), minute: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 12, maxLength: 12 }),
        fc.func(fc.integer()),
        async (messages, batchSizes, shuffleKey) => {
          const customer = `wmFACTS${n++}`;
          const rows = messages.map((m, i) => ({
            msgid: `archive:f${customer}-${i}`, channel: 'archive' as const, direction: m.direction, msgType: 'text',
            externalUserId: customer, msgTime: m.minute * 60_000,
          }));
          const arrival = [...rows].sort((a, b) => shuffleKey(a.msgid) - shuffleKey(b.msgid));
          for (let i = 0, b = 0; i < arrival.length; i += batchSizes[b++ % batchSizes.length]) {
            const batch = arrival.slice(i, i + batchSizes[b % batchSizes.length]);
            await app.services.db.transaction((tx) => insertMessages(tx, [...batch, batch[0]], Date.now()));
          }
          // The stored order for equal times is insertion (id) order, as the recount reads it.
          const ids = new Map(arrival.map((r, i) => [r.msgid, i]));
          const sorted = [...rows].sort((a, b) => a.msgTime - b.msgTime || ids.get(a.msgid)! - ids.get(b.msgid)!);
          const expected = fold(sorted.map((r) => ({ direction: r.direction, at: r.msgTime })));
          const got = (await findCustomerFacts(app.services.db, [customer])).get(customer)!;
          expect({
            in: got.inboundCount, out: got.outboundCount, conv: got.conversations, answered: got.answeredConversations,
            lastIn: got.lastInboundAt?.getTime() ?? null, lastOut: got.lastOutboundAt?.getTime() ?? null, since: got.unansweredSince?.getTime() ?? null,
          }).toEqual({
            in: expected.inboundCount, out: expected.outboundCount, conv: expected.conversations, answered: expected.answeredConversations,
            lastIn: expected.lastInboundAt, lastOut: expected.lastOutboundAt, since: expected.unansweredSince,
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('should count touches since the customer last wrote, and list who waits for an answer', async () => {
    const db = app.services.db;
    const now = Date.now();
    await insertMessages(db, [{ msgid: 'kf:w1', channel: 'kf', direction: 'in', msgType: 'text', externalUserId: 'wmWAIT', msgTime: 1_000 }], now);
    await recordTouch(db, { externalUserId: 'wmWAIT', category: 'care', at: 500, source: 'reminder', ref: 'r0' }, now);
    await recordTouch(db, { externalUserId: 'wmWAIT', category: 'marketing', at: 2_000, source: 'outreach', ref: 'o1' }, now);
    await recordTouch(db, { externalUserId: 'wmWAIT', category: 'marketing', at: 2_000, source: 'outreach', ref: 'o1' }, now);
    const facts = (await findCustomerFacts(db, ['wmWAIT'])).get('wmWAIT')!;
    expect(facts).toMatchObject({ touchesSinceInbound: 1, lastTouchAt: new Date(2_000), unansweredSince: new Date(1_000) });
    expect((await findUnansweredSince(db, 1_500)).map((f) => f.externalUserId)).toContain('wmWAIT');
    expect((await findUnansweredSince(db, 999)).map((f) => f.externalUserId)).not.toContain('wmWAIT');
  });
});
