import { recordChanges } from '../../src/contacts/history';
import { insertMessages, recordSentMessage } from '../../src/messages/repository';
import { addNote } from '../../src/notes/repository';
import { upsertOrders } from '../../src/orders/repository';
import { getTimeline, TimelineItem } from '../../src/timeline/timeline';
import { recordTouch } from '../../src/touches/repository';
import { startTestApp, TestApp } from '../helpers/app';
import { API_TOKEN, api, serveDataApi } from './world';

describe('customer timeline', () => {
  let app: TestApp;
  let apiUrl: string;
  let stopApi: () => Promise<void>;
  const C = 'wmTIMELINE';
  const T = Date.parse('2025-03-03T02:00:00Z');
  const min = (n: number) => T + n * 60_000;

  beforeAll(async () => {
    app = await startTestApp({ env: { FENCUN_API_TOKEN: API_TOKEN } });
    ({ url: apiUrl, stop: stopApi } = await serveDataApi(app.services));
    const db = app.services.db;
    const now = Date.now();
    await recordChanges(db, [
      { externalUserId: C, userId: 'zhangsan', kind: 'follow_added', at: min(0), cause: 't' },
      { externalUserId: C, userId: 'zhangsan', kind: 'tag_added', at: min(0), cause: 't', detail: { tagId: 'et1', tagName: 'VIP' } },
      { externalUserId: C, chatId: 'wrG', kind: 'group_joined', at: min(30), cause: 't', detail: { groupName: '会员群' } },
      { externalUserId: C, chatId: 'wrG', kind: 'group_left', at: min(90), cause: 't', detail: { groupName: '会员群' } },
    ], now);
    await recordSentMessage(db, { ref: 'welcome:W1', category: 'welcome', userId: 'zhangsan', externalUserId: C, text: '您好', at: min(0) }, now);
    await recordTouch(db, { externalUserId: C, userId: 'zhangsan', category: 'welcome', at: min(0), source: 'welcome', ref: 'W1' }, now);
    await insertMessages(db, [
      { msgid: 'archive:t1', channel: 'archive', direction: 'in', msgType: 'text', externalUserId: C, userId: 'zhangsan', text: '在吗', msgTime: min(10) },
      { msgid: 'archive:t2', channel: 'archive', direction: 'out', msgType: 'text', externalUserId: C, userId: 'zhangsan', text: '在的', msgTime: min(11) },
      { msgid: 'kf:t3', channel: 'kf', direction: 'in', msgType: 'text', externalUserId: C, text: '退货', msgTime: min(60) },
      { msgid: 'archive:other', channel: 'archive', direction: 'in', msgType: 'text', externalUserId: 'wmSOMEONE_ELSE', text: 'x', msgTime: min(60) },
    ], now);
    await db.transaction((tx) => upsertOrders(tx, [
      { orderId: 'O-1', externalUserId: C, amount: 299, paidAt: min(20), product: '精华液' },
      { orderId: 'O-2', externalUserId: C, amount: -299, paidAt: min(60), product: '退款' },
    ], 'api', now));
    await addNote(db, { externalUserId: C, userId: 'zhangsan', text: '对物流不满意', isComplaint: true, at: min(61) });
    await recordTouch(db, { externalUserId: C, userId: 'zhangsan', category: 'care', at: min(120), source: 'reminder', ref: 'R1' }, now);
  });
  afterAll(async () => {
    await stopApi?.();
    await app?.stop();
  });

  const label = (i: TimelineItem) => {
    switch (i.kind) {
      case 'message': return `message:${i.channel}:${i.text}`;
      case 'order': return `order:${i.orderId}`;
      case 'note': return `note:${i.isComplaint ? 'complaint' : 'note'}`;
      case 'change': return `change:${i.change}`;
      case 'touch': return `touch:${i.category}`;
    }
  };

  it('should merge every kind of history, newest first, with a fixed order among equal times', async () => {
    const page = await getTimeline(app.services.db, C, { limit: 50 });
    expect(page.next).toBeNull();
    expect(page.items.map(label)).toEqual([
      'touch:care',
      'change:group_left',
      'note:complaint',
      'message:kf:退货',
      'order:O-2',
      'change:group_joined',
      'order:O-1',
      'message:archive:在的',
      'message:archive:在吗',
      'message:fencun:您好',
      'change:tag_added',
      'change:follow_added',
      'touch:welcome',
    ]);
    for (let i = 1; i < page.items.length; i++) expect(page.items[i - 1].at).toBeGreaterThanOrEqual(page.items[i].at);
  });

  it.each([1, 2, 3, 5])('should page through the same list %p at a time without gaps or repeats', async (limit) => {
    const all = (await getTimeline(app.services.db, C, { limit: 50 })).items.map(label);
    const seen: string[] = [];
    let before: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const page = await getTimeline(app.services.db, C, { before, limit });
      seen.push(...page.items.map(label));
      expect(page.items.length).toBeLessThanOrEqual(limit);
      if (!page.next) break;
      before = page.next;
    }
    expect(seen).toEqual(all);
  });

  it('should serve the timeline over the data API with cursor paging, and refuse a forged cursor', async () => {
    const first = await api(apiUrl, 'GET', `/api/customers/${C}/timeline?limit=4`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(4);
    const second = await api(apiUrl, 'GET', `/api/customers/${C}/timeline?limit=4&before=${first.body.next}`);
    expect(second.body.items[0].at).toBeLessThanOrEqual(first.body.items[3].at);
    expect((await api(apiUrl, 'GET', `/api/customers/${C}/timeline?before=nonsense`)).body.code).toBe('BAD_CURSOR');
    expect((await api(apiUrl, 'GET', `/api/customers/${C}/timeline`, undefined, null)).status).toBe(401);
  });

  it('should show nothing of other customers', async () => {
    const page = await getTimeline(app.services.db, 'wmSOMEONE_ELSE', { limit: 50 });
    expect(page.items.map(label)).toEqual(['message:archive:x']);
  });
});
