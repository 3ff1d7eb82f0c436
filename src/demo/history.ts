import { customerName } from '../wecom-simulator/names';
import { Random } from '../wecom-simulator/random';

/**
 * Six months of history that WeCom alone would not give Fencun — orders from the shop, chats from
 * the message archive, the reps' past outreach, complaints, customers who left and came back —
 * planned deterministically (same seed and "now", same history) for the corp as Fencun sees it
 * after the first reconcile. Pure: the seeding sends the plan through the real APIs.
 *
 * Most customers get a random persona (silent, chatty, occasional, loyal, fading, pestered). The
 * showcase rep's book also gets one customer per story below, timed so that each suggestion the
 * sidebar gives appears on the first screen of the demo picker.
 */

const H = 3_600_000;
const D = 24 * H;
const M = 60_000;

export const STORIES = [
  'core_post_sale', 'core_reminder', 'service', 'complaint', 'churn', 'give_space', 'anniversary', 'revisit', 'dormant', 'lost', 'readd',
] as const;
export type Story = (typeof STORIES)[number];

export interface CorpFollow {
  userId: string;
  externalUserId: string;
  addedAt: number;
  /** WeChat name. */
  name: string;
  /** How many reps follow this customer. */
  followers: number;
}

export interface PlannedOrder {
  order_id: string;
  external_user_id: string;
  amount: number;
  /** Epoch milliseconds. */
  paid_at: number;
  product: string;
}

/** A decrypted 会话存档 record as the puller posts it (docs/DATA.md). */
export interface PlannedMessage {
  msgid: string;
  action: 'send';
  from: string;
  tolist: string[];
  roomid: '';
  msgtime: number;
  msgtype: 'text';
  text: { content: string };
}

export interface PlannedTouch {
  externalUserId: string;
  userId: string;
  category: 'care' | 'marketing';
  at: number;
  ref: string;
}

export interface DemoHistory {
  orders: PlannedOrder[];
  messages: PlannedMessage[];
  touches: PlannedTouch[];
  /** Reminders reps set for themselves (the care-reminders job makes the post-sale ones). */
  reminders: { externalUserId: string; userId: string; title: string; message: string; dueAt: number; ruleKey: string }[];
  /** Customers whose keyword-suggested complaint the rep confirms after complaint-scan. */
  confirmComplaints: { externalUserId: string; userId: string }[];
  /** The customer deletes the rep (del_follow_user), through the simulator. */
  deletions: { userId: string; externalUserId: string }[];
  /** Deleted and then added again. */
  readds: { userId: string; externalUserId: string }[];
  /** Customers who add a rep during seeding (new stage), with their first message. */
  newContacts: { userId: string; externalUserId: string; name: string; hello: string }[];
  /** externalUserId of each story in the showcase rep's book. */
  showcase: Partial<Record<Story, string>>;
}

const PRODUCTS: [string, number, number][] = [
  ['山茶花精华套装', 1280, 1880], ['玻尿酸精华液', 399, 699], ['山茶花面霜礼盒', 899, 1580], ['氨基酸洁面', 89, 159],
  ['舒缓面膜（10片）', 129, 229], ['防晒霜套装', 199, 359], ['年度护肤套装', 2680, 3980], ['眼霜', 299, 499], ['身体乳', 99, 189],
];
const ASKS = [
  '在吗？上次那款还有货吗', '这个适合敏感肌吗？', '什么时候有活动呀', '想预约周六到店', '发票开好了吗？', '🙏麻烦帮我查下物流',
  '收到了，包装很好', '我朋友也想买，能一起发吗', '这个怎么用比较好', '有小样可以试吗', '最近皮肤有点干，推荐点什么',
];
const REPLIES = [
  '在的！还有货，给您留一套？', '适合的，成分很温和，可以先试小样', '下周有会员活动，到时候第一时间告诉您', '好的，周六上午给您留位置',
  '已经开好了，发您邮箱了', '帮您查了，明天就到', '太好了，用着有问题随时找我', '可以的，给您一起安排', '先薄涂一层，早晚各一次',
  '给您寄几片小样', '可以试试保湿精华，我发您介绍',
];
const OUTREACH = ['周末门店有新品体验活动，您有空来看看吗？', '换季了，需要帮您看看护肤方案吗？', '会员日有双倍积分，提醒您一下～', '新到的面膜口碑很好，给您留一份？'];
const COMPLAINT_LINES = ['快递太慢了，再这样我要投诉了', '收到的瓶子是漏的，质量问题能退货吗', '客服一直不回，太差了'];

export function planHistory(corp: CorpFollow[], showcaseRepId: string | null, now: number, seed = 2025): DemoHistory {
  const r = new Random(seed);
  const h: DemoHistory = { orders: [], messages: [], touches: [], reminders: [], confirmComplaints: [], deletions: [], readds: [], newContacts: [], showcase: {} };
  const primary = new Map<string, CorpFollow>();
  for (const f of corp) if (!primary.has(f.externalUserId)) primary.set(f.externalUserId, f);

  // The showcase: customers only this rep follows, longest-known first (added well before the history starts).
  const book = [...primary.values()]
    // Real names read best in a first look (and every font has them; emoji nicknames are for the rest of the book).
    .filter((f) => f.userId === showcaseRepId && f.followers === 1 && f.addedAt < now - 200 * D && /^[\u4e00-\u9fff]{2,4}$/.test(f.name))
    .sort((a, b) => a.addedAt - b.addedAt || a.externalUserId.localeCompare(b.externalUserId));
  const scripted = new Set<string>();
  STORIES.forEach((story, i) => {
    const f = book[i];
    if (!f) return;
    scripted.add(f.externalUserId);
    h.showcase[story] = f.externalUserId;
    writeStory(h, story, f, now);
  });

  let orderNo = 1;
  const order = (f: CorpFollow, at: number) => {
    const [product, lo, hi] = r.pick(PRODUCTS);
    h.orders.push({ order_id: `DEMO-${String(orderNo++).padStart(6, '0')}`, external_user_id: f.externalUserId, amount: r.int(lo, hi), paid_at: at, product });
  };
  const chat = (f: CorpFollow, at: number, answered = true) => {
    const i = r.int(0, ASKS.length - 1);
    pushIn(h, f, at, ASKS[i]);
    if (answered) pushOut(h, f, at + r.int(3, 120) * M, REPLIES[i]);
  };

  for (const f of primary.values()) {
    if (scripted.has(f.externalUserId)) continue;
    const since = Math.max(f.addedAt, now - 180 * D);
    const span = now - since;
    const at = (fromDaysAgo: number, toDaysAgo: number) => now - r.int(toDaysAgo * 24, fromDaysAgo * 24) * H - r.int(0, 59) * M;
    const anyTime = () => since + r.int(0, Math.max(0, Math.floor(span / H) - 2)) * H + r.int(0, 59) * M;
    const persona = r.weighted([['silent', 30], ['chatty', 18], ['occasional', 24], ['loyal', 12], ['fading', 10], ['pestered', 6]] as const);
    switch (persona) {
      case 'silent':
        break;
      case 'chatty':
        for (let k = r.int(1, 4); k > 0; k--) chat(f, anyTime());
        break;
      case 'occasional':
        for (let k = r.int(1, 3); k > 0; k--) order(f, anyTime());
        for (let k = r.int(0, 3); k > 0; k--) chat(f, anyTime());
        break;
      case 'loyal':
        for (let k = r.int(4, 9); k > 0; k--) order(f, anyTime());
        for (let k = r.int(3, 8); k > 0; k--) chat(f, anyTime());
        if (r.chance(0.4)) {
          const t = at(60, 10);
          pushTouch(h, f, t, 'care', r.pick(OUTREACH));
          pushIn(h, f, t + r.int(1, 20) * H, '谢谢提醒，我看看');
        }
        break;
      case 'fading':
        for (let k = r.int(2, 5); k > 0; k--) order(f, at(180, 110));
        chat(f, at(170, 100));
        break;
      case 'pestered': {
        if (r.chance(0.5)) order(f, at(170, 60));
        chat(f, at(120, 50));
        for (let k = r.int(2, 4), d = 45; k > 0; k--, d -= r.int(7, 12)) pushTouch(h, f, at(d, Math.max(1, d - 3)), 'care', r.pick(OUTREACH));
        break;
      }
    }
    // A few customers are waiting for an answer right now, and a few are unhappy.
    if (persona !== 'silent' && r.chance(0.05)) pushIn(h, f, now - r.int(20, 600) * M, r.pick(ASKS));
    if (persona !== 'silent' && r.chance(0.015)) {
      const t = at(20, 2);
      pushIn(h, f, t, r.pick(COMPLAINT_LINES));
      pushOut(h, f, t + r.int(5, 60) * M, '非常抱歉给您添麻烦了，我马上帮您处理');
    }
  }

  // Customers who left during the six months, and a few who came back.
  const others = [...primary.values()].filter((f) => !scripted.has(f.externalUserId) && f.followers === 1 && f.userId !== showcaseRepId);
  for (const f of r.sample(others, Math.min(8, others.length))) h.deletions.push({ userId: f.userId, externalUserId: f.externalUserId });
  for (const d of h.deletions.slice(0, 2)) h.readds.push(d);
  if (h.showcase.lost) h.deletions.push({ userId: showcaseRepId!, externalUserId: h.showcase.lost });
  if (h.showcase.readd) {
    h.deletions.push({ userId: showcaseRepId!, externalUserId: h.showcase.readd });
    h.readds.push({ userId: showcaseRepId!, externalUserId: h.showcase.readd });
  }
  if (showcaseRepId) {
    const hellos = ['你好，我在直播间看到你们的新品，想了解一下', '朋友推荐来的，想问问敏感肌用什么'];
    hellos.forEach((hello, i) => {
      h.newContacts.push({ userId: showcaseRepId, externalUserId: `wmDemoNew${String(i + 1).padStart(4, '0')}${'x'.repeat(13)}AAAA`, name: customerName(r), hello });
    });
  }
  h.messages.sort((a, b) => a.msgtime - b.msgtime);
  return h;
}

function writeStory(h: DemoHistory, story: Story, f: CorpFollow, now: number): void {
  const ex = (daysAgo: number, ask: string, reply: string) => {
    pushIn(h, f, now - daysAgo * D, ask);
    pushOut(h, f, now - daysAgo * D + 12 * M, reply);
  };
  const orders = (list: [number, number, string][]) => {
    list.forEach(([msAgo, amount, product], i) => {
      h.orders.push({ order_id: `DEMO-${story.toUpperCase().replace(/_/g, '')}-${i + 1}`, external_user_id: f.externalUserId, amount, paid_at: now - msAgo, product });
    });
  };
  switch (story) {
    case 'core_post_sale':
      // Paid four days ago: this morning's care-reminders run made the post-sale reminder the sidebar shows.
      orders([[4 * D, 1680, '山茶花精华套装'], [50 * D, 2380, '山茶花面霜礼盒'], [80 * D, 1290, '玻尿酸精华液'], [120 * D, 3680, '年度护肤套装'],
        [160 * D, 980, '舒缓面膜（10片）'], [200 * D, 2680, '山茶花面霜礼盒'], [250 * D, 1980, '玻尿酸精华液']]);
      pushIn(h, f, now - 4 * D - 2 * H, '那套山茶花精华我要了，今天能发货吗？');
      pushOut(h, f, now - 4 * D - 110 * M, '可以的，下午就给您发顺丰～');
      ex(20, '面霜用完了，还是老样子给我留一瓶', '好嘞，已经给您留好了');
      ex(48, '上次的面膜挺好用的', '太好了，下次有活动第一时间告诉您');
      ex(79, '精华液到了，谢谢', '不客气，用着有问题随时找我');
      break;
    case 'core_reminder':
      // The customer asked to be reminded; the rep set a reminder for today.
      orders([[12 * D, 2980, '年度护肤套装'], [45 * D, 1880, '山茶花精华套装'], [75 * D, 2280, '山茶花面霜礼盒'], [110 * D, 1580, '山茶花精华套装'],
        [150 * D, 2680, '年度护肤套装'], [190 * D, 1280, '玻尿酸精华液'], [240 * D, 3280, '年度护肤套装']]);
      ex(12, '下周我妈妈生日，到时候提醒我挑个礼盒', '好的，到时候我提醒您，帮您挑几款');
      ex(40, '妈妈说面霜很好用', '太好了！替我问阿姨好');
      ex(60, '会员积分怎么查？', '我帮您查了，还有 3200 分');
      h.reminders.push({
        externalUserId: f.externalUserId, userId: f.userId, ruleKey: `demo:birthday-gift:${f.externalUserId}`, dueAt: now - 2 * H,
        title: '提醒客户挑选母亲生日礼盒', message: '{name}您好，您上次说妈妈生日快到了，我挑了几款礼盒，发您看看？',
      });
      break;
    case 'service':
      orders([[20 * D, 1280, '玻尿酸精华液'], [65 * D, 899, '山茶花面霜礼盒'], [140 * D, 1580, '山茶花面霜礼盒'], [210 * D, 1180, '防晒霜套装']]);
      ex(20, '精华收到了', '好的，用着有问题随时找我');
      ex(64, '防晒可以带上飞机吗？', '可以的，100ml 以内没问题');
      pushIn(h, f, now - 40 * M, '在吗？上次那款精华液还有货吗，想再买两瓶送人');
      pushIn(h, f, now - 35 * M, '顺便问下有没有礼盒包装');
      break;
    case 'complaint':
      orders([[12 * D, 599, '舒缓面膜（10片）'], [100 * D, 399, '氨基酸洁面']]);
      ex(40, '洁面快用完了，有活动吗', '下个月会员日有折扣，到时候提醒您');
      pushIn(h, f, now - D, '面膜用了两次脸就过敏了，这质量太差了，我要投诉');
      pushOut(h, f, now - D + 15 * M, '非常抱歉！先停用，方便拍张照片给我看看吗？我马上登记售后');
      pushIn(h, f, now - D + 30 * M, '照片发你了');
      pushOut(h, f, now - D + 40 * M, '收到，已经提交售后，今天给您答复');
      h.confirmComplaints.push({ externalUserId: f.externalUserId, userId: f.userId });
      break;
    case 'churn':
      orders([[95 * D, 2680, '年度护肤套装'], [130 * D, 1880, '山茶花精华套装'], [170 * D, 1480, '山茶花面霜礼盒'], [210 * D, 2280, '山茶花精华套装'],
        [260 * D, 1680, '山茶花面霜礼盒'], [320 * D, 980, '眼霜']]);
      ex(50, '最近有点忙，过段时间再看看', '好的，不打扰您，有需要随时找我');
      ex(96, '套装收到了', '好的，用着有问题随时找我');
      ex(131, '精华还有吗', '有的，给您留一套');
      break;
    case 'give_space':
      orders([[25 * D, 1880, '山茶花精华套装'], [90 * D, 1280, '玻尿酸精华液'], [150 * D, 2280, '山茶花精华套装']]);
      ex(32, '好的，知道了', '有需要随时找我');
      pushTouch(h, f, now - 28 * D, 'care', '周末门店有新品体验活动，您有空来看看吗？');
      pushTouch(h, f, now - 15 * D, 'care', '换季了，需要帮您看看护肤方案吗？');
      pushTouch(h, f, now - 4 * D, 'care', '新到的面膜口碑很好，给您留一份？');
      break;
    case 'anniversary':
      // First purchase a year ago tomorrow (or the day after, across a 29 February).
      orders([[364 * D, 899, '山茶花面霜礼盒'], [45 * D, 1299, '玻尿酸精华液']]);
      ex(18, '上次推荐的精华挺好用的', '太好了，有问题随时找我～');
      ex(46, '精华液收到了', '好的，先薄涂一层试试');
      break;
    case 'revisit':
      orders([[40 * D, 680, '氨基酸洁面'], [85 * D, 1280, '防晒霜套装']]);
      ex(66, '防晒收到了，谢谢', '不客气，出门记得补涂');
      break;
    case 'dormant':
      orders([[290 * D, 1580, '山茶花精华套装'], [330 * D, 2280, '山茶花面霜礼盒'], [350 * D, 1980, '山茶花精华套装']]);
      ex(280, '今年先不买了', '好的，有需要随时找我');
      break;
    case 'lost':
      orders([[60 * D, 799, '山茶花面霜礼盒']]);
      ex(61, '这个价格有点贵', '理解，有活动我第一时间告诉您');
      break;
    case 'readd':
      orders([[70 * D, 1299, '玻尿酸精华液']]);
      ex(71, '换手机了，之前的聊天记录没了', '没关系，有需要随时找我');
      break;
  }
}

function pushIn(h: DemoHistory, f: CorpFollow, at: number, text: string): void {
  h.messages.push({ msgid: `demo-${f.externalUserId}-${at}-in`, action: 'send', from: f.externalUserId, tolist: [f.userId], roomid: '', msgtime: at, msgtype: 'text', text: { content: text } });
}

function pushOut(h: DemoHistory, f: CorpFollow, at: number, text: string): void {
  h.messages.push({ msgid: `demo-${f.externalUserId}-${at}-out`, action: 'send', from: f.userId, tolist: [f.externalUserId], roomid: '', msgtime: at, msgtype: 'text', text: { content: text } });
}

/** The rep's own outreach: a message in the archive, and the touch Fencun counts against the caps. */
function pushTouch(h: DemoHistory, f: CorpFollow, at: number, category: 'care' | 'marketing', text: string): void {
  pushOut(h, f, at, text);
  h.touches.push({ externalUserId: f.externalUserId, userId: f.userId, category, at, ref: `demo-${f.externalUserId}-${at}` });
}
