import { saveMembers } from '../../src/contacts/members';
import { activateFollow, endFollow, upsertContact } from '../../src/contacts/repository';
import type { Department, Member } from '../../src/contacts/types';
import type { Database } from '../../src/db/database';
import type { Judgement } from '../../src/judgement';
import { saveGroupChat } from '../../src/groups/repository';
import type { GroupMember } from '../../src/groups/types';
import { insertMessages, recordSentMessage } from '../../src/messages/repository';
import type { NewMessage } from '../../src/messages/types';
import { addNote } from '../../src/notes/repository';
import { upsertOrders } from '../../src/orders/repository';
import { replaceTagLibrary } from '../../src/tags/repository';
import { recordTouch } from '../../src/touches/repository';
import type { SeedData } from '../../src/wecom-simulator';

/**
 * A small corp for the sidebar tests, written through the data modules: one team (王芳 leads
 * 李娜 and 张伟), a rep in another team (赵磊), five customers with distinct stories, and one
 * customer group. The same corp is given to the WeCom simulator so OAuth and mark_tag agree.
 * "Now" is Thursday 2025-03-06 10:30 in Shanghai.
 */

export const NOW = new Date('2025-03-06T10:30:00+08:00');
const daysAgo = (d: number, hour = 10) => NOW.getTime() - d * 86_400_000 + (hour - 10.5) * 3_600_000;

export const REPS = {
  supervisor: 'wangfang',
  lina: 'lina',
  zhangwei: 'zhangwei',
  outsider: 'zhaolei',
} as const;

export const CUSTOMERS = {
  /** 核心: VIP, buys often, bought 4 days ago → post-sale care is the next step. */
  chen: 'wmChenJing0001AAAA',
  /** Complaint in progress → no marketing, follow up the complaint. */
  liu: 'wmLiuYang0002AAAA',
  /** Stopped answering → give them space. */
  sun: 'wmSunLei0003AAAAA',
  /** 张伟's customer (王芳 may see it, 李娜 may not). */
  zhou: 'wmZhouTing0004AAA',
  /** 赵磊's customer in another team. */
  wu: 'wmWuHao0005AAAAAA',
  /** In the group only, joined yesterday. */
  zheng: 'wmZhengYu0006AAAA',
  /** Left the group five days ago. */
  he: 'wmHeMin0007AAAAAA',
  /** Deleted 李娜 ten days ago; still 张伟's customer (so overall the relation is active). */
  feng: 'wmFengXiao0008AAA',
  /** 李娜's remark is a private note ("谢总-门店 爱砍价"); wrote 19 days ago and again an hour ago, unanswered. */
  xie: 'wmXieJun0009AAAAA',
} as const;

export const GROUP = 'wrShanChaHua0001AAAAAAAA';

export const TAGS = {
  vip: 'etVIP0001', intent: 'etINTENT0002', corp: 'etCORP0003',
  skin: 'etSKIN0004', makeup: 'etMAKEUP0005', tea: 'etTEA0006',
  store: 'etSTORE0007', live: 'etLIVE0008',
};

const TAG_GROUPS: { groupId: string; name: string; tags: [string, string][] }[] = [
  { groupId: 'etgLEVEL', name: '客户等级', tags: [[TAGS.vip, 'VIP'], [TAGS.intent, '高意向'], [TAGS.corp, '企业客户']] },
  { groupId: 'etgINTEREST', name: '兴趣', tags: [[TAGS.skin, '护肤'], [TAGS.makeup, '彩妆'], [TAGS.tea, '茶饮']] },
  { groupId: 'etgSOURCE', name: '来源', tags: [[TAGS.store, '门店'], [TAGS.live, '直播']] },
];

const MEMBERS: { userId: string; name: string; dept: number; leader?: string }[] = [
  { userId: REPS.supervisor, name: '王芳', dept: 2 },
  { userId: REPS.lina, name: '李娜', dept: 2, leader: REPS.supervisor },
  { userId: REPS.zhangwei, name: '张伟', dept: 2, leader: REPS.supervisor },
  { userId: REPS.outsider, name: '赵磊', dept: 3 },
];

interface CustomerSpec {
  id: string;
  name: string;
  owner: string;
  remark: string;
  corpName?: string;
  tags: string[];
  addedDaysAgo: number;
}

const CUSTOMER_SPECS: CustomerSpec[] = [
  { id: CUSTOMERS.chen, name: '陈静', owner: REPS.lina, remark: '陈姐', corpName: '杭州云栖科技', tags: [TAGS.vip, TAGS.skin, TAGS.store], addedDaysAgo: 420 },
  { id: CUSTOMERS.liu, name: '刘洋', owner: REPS.lina, remark: '刘洋', tags: [TAGS.makeup], addedDaysAgo: 200 },
  { id: CUSTOMERS.sun, name: '孙磊', owner: REPS.lina, remark: '孙总', corpName: '孙氏茶业', tags: [TAGS.tea, TAGS.corp], addedDaysAgo: 300 },
  { id: CUSTOMERS.zhou, name: '周婷', owner: REPS.zhangwei, remark: '周婷', tags: [TAGS.skin], addedDaysAgo: 90 },
  { id: CUSTOMERS.wu, name: '吴昊', owner: REPS.outsider, remark: '吴昊', tags: [], addedDaysAgo: 60 },
  { id: CUSTOMERS.zheng, name: '郑雨', owner: REPS.lina, remark: '郑雨', tags: [TAGS.live], addedDaysAgo: 1 },
  { id: CUSTOMERS.he, name: '何敏', owner: REPS.zhangwei, remark: '何敏', tags: [], addedDaysAgo: 150 },
  { id: CUSTOMERS.feng, name: '冯晓', owner: REPS.lina, remark: '冯晓-门店', tags: [TAGS.store], addedDaysAgo: 200 },
  { id: CUSTOMERS.feng, name: '冯晓', owner: REPS.zhangwei, remark: '冯姐', tags: [], addedDaysAgo: 100 },
  { id: CUSTOMERS.xie, name: '谢军', owner: REPS.lina, remark: '谢总-门店 爱砍价', tags: [TAGS.store], addedDaysAgo: 250 },
];

const tagName = (id: string): string => TAG_GROUPS.flatMap((g) => g.tags).find(([tid]) => tid === id)![1];

/** Writes the corp into Fencun's database through the data modules and the complaints service. */
export async function seedDatabase({ db, judgement }: { db: Database; judgement: Judgement }): Promise<void> {
  const now = NOW.getTime();
  const departments = new Map<number, Department>([
    [1, { id: 1, name: '山茶花', parentId: null, order: 1, leaders: [] }],
    [2, { id: 2, name: '销售一组', parentId: 1, order: 2, leaders: [REPS.supervisor] }],
    [3, { id: 3, name: '销售二组', parentId: 1, order: 3, leaders: [] }],
  ]);
  const members: Member[] = MEMBERS.map((m) => ({
    userId: m.userId, name: m.name, departmentIds: [m.dept], mainDepartment: m.dept, isLeader: m.userId === REPS.supervisor,
    directLeaders: m.leader ? [m.leader] : [],
  }));
  await saveMembers(db, members, departments, null, now);
  await db.transaction((tx) => replaceTagLibrary(tx, TAG_GROUPS.map((g, i) => ({
    groupId: g.groupId, name: g.name, order: i + 1, createdAt: now - 400 * 86_400_000,
    tags: g.tags.map(([tagId, name], j) => ({ tagId, name, order: j + 1, createdAt: now - 400 * 86_400_000 })),
  })), now));

  for (const c of CUSTOMER_SPECS) {
    const added = daysAgo(c.addedDaysAgo);
    await db.transaction(async (tx) => {
      await upsertContact(tx, { externalUserId: c.id, name: c.name, type: 1, gender: 2, corpName: c.corpName ?? null, avatar: null }, now);
      await activateFollow(tx, {
        userId: c.owner, externalUserId: c.id, remark: c.remark, remarkCorpName: c.corpName ?? null,
        tags: c.tags.map((id) => ({ tagId: id, type: 1, name: tagName(id) })), addWay: 1, state: 'store_qr', createdAt: added,
      }, 'active', { at: added, now, cause: `seed:${c.id}` });
    });
  }

  const msgs: NewMessage[] = [];
  const msg = (ext: string, dir: 'in' | 'out', at: number, text: string, user: string = REPS.lina) =>
    msgs.push({ msgid: `archive:${ext}:${msgs.length}`, channel: 'archive', direction: dir, msgType: 'text', externalUserId: ext, userId: user, text, msgTime: at });
  // 陈静: a warm, regular conversation.
  msg(CUSTOMERS.chen, 'in', daysAgo(60, 14), '上次推荐的精华很好用，还有别的适合干皮的吗？');
  msg(CUSTOMERS.chen, 'out', daysAgo(60, 15), '有的，山茶花面霜很适合干皮，我发您看看～');
  msg(CUSTOMERS.chen, 'in', daysAgo(30, 20), '面霜收到了，质地很舒服');
  msg(CUSTOMERS.chen, 'out', daysAgo(30, 21), '太好了！用完一周记得告诉我感受哦');
  msg(CUSTOMERS.chen, 'in', daysAgo(5, 11), '精华套装还有货吗？想买一套送妈妈');
  msg(CUSTOMERS.chen, 'out', daysAgo(5, 11), '有的，我给您留一套，今天就能发货');
  msg(CUSTOMERS.chen, 'in', daysAgo(2, 16), '收到啦，包装很精致，妈妈很喜欢');
  msg(CUSTOMERS.chen, 'out', daysAgo(2, 17), '太好了，祝阿姨用得开心！');
  // 刘洋: the complaint.
  msg(CUSTOMERS.liu, 'in', daysAgo(2, 9), '收到的面霜盒子压坏了，瓶口也有点漏，怎么处理？');
  msg(CUSTOMERS.liu, 'out', daysAgo(2, 10), '非常抱歉！我马上为您登记换货，今天给您回复');
  // 孙磊: last wrote long ago; three care touches since went unanswered.
  msg(CUSTOMERS.sun, 'in', daysAgo(70, 15), '好的，有需要再联系你');
  msg(CUSTOMERS.sun, 'out', daysAgo(40, 10), '孙总您好，新茶到了，给您留了两罐明前龙井', REPS.lina);
  msg(CUSTOMERS.zhou, 'in', daysAgo(3, 13), '请问这个适合敏感肌吗', REPS.zhangwei);
  msg(CUSTOMERS.zhou, 'out', daysAgo(3, 14), '适合的，成分很温和', REPS.zhangwei);
  // 谢军: asked 19 days ago, nobody answered; asked again an hour ago.
  msg(CUSTOMERS.xie, 'in', daysAgo(19, 15), '门店的会员价还能用吗？');
  msg(CUSTOMERS.xie, 'in', NOW.getTime() - 3_600_000, '在吗？上次问的会员价');
  // 冯晓: chatted with 李娜 before deleting her.
  msg(CUSTOMERS.feng, 'in', daysAgo(40, 15), '好的谢谢');
  // 何敏: a message the keyword scan will flag for 张伟 to confirm.
  msg(CUSTOMERS.he, 'in', daysAgo(1, 20), '快递一周了还没到，再这样我要投诉了', REPS.zhangwei);
  await db.transaction((tx) => insertMessages(tx, msgs, now));
  await db.transaction((tx) => endFollow(tx, REPS.lina, CUSTOMERS.feng, 'customer_deleted', { at: daysAgo(10, 9), now, cause: 'seed:feng-deleted' }));

  const orders = [
    [CUSTOMERS.chen, 'SO-1001', 2180, 330, '山茶花面霜'],
    [CUSTOMERS.chen, 'SO-1002', 1680, 240, '修护精华'],
    [CUSTOMERS.chen, 'SO-1003', 3260, 150, '礼盒套装'],
    [CUSTOMERS.chen, 'SO-1004', 2680, 90, '山茶花面霜（2瓶）'],
    [CUSTOMERS.chen, 'SO-1005', 1600, 30, '洁面+水乳'],
    [CUSTOMERS.chen, 'SO-1006', 1280, 4, '山茶花精华套装'],
    [CUSTOMERS.liu, 'SO-2001', 460, 5, '山茶花面霜'],
    [CUSTOMERS.sun, 'SO-3001', 5200, 80, '明前龙井礼盒（企业采购）'],
    [CUSTOMERS.sun, 'SO-3002', 3600, 200, '白茶礼盒'],
    [CUSTOMERS.zhou, 'SO-4001', 320, 20, '舒缓面膜'],
  ] as const;
  await db.transaction((tx) => upsertOrders(tx, orders.map(([ext, id, amount, ago, product]) => ({
    orderId: id, externalUserId: ext, amount, paidAt: daysAgo(ago, 15), product,
  })), 'api', now));

  await addNote(db, { externalUserId: CUSTOMERS.chen, userId: REPS.lina, text: '喜欢淡香型，对酒精敏感；母亲生日在4月', at: daysAgo(30, 21) });
  const complaint = await addNote(db, { externalUserId: CUSTOMERS.liu, userId: REPS.lina, text: '面霜包装破损漏液，已登记换货，等仓库回复', isComplaint: true, at: daysAgo(2, 10) });
  await judgement.complaints.fileByRep({ externalUserId: CUSTOMERS.liu, userId: REPS.lina, text: complaint.text, sourceRef: `note:${complaint.id}` }, new Date(daysAgo(2, 10)));
  await judgement.complaints.scanInbound(NOW);

  const touch = (ext: string, ago: number, ref: string, category: 'care' | 'marketing' = 'care', user: string = REPS.lina) =>
    recordTouch(db, { externalUserId: ext, userId: user, category, at: daysAgo(ago, 10), source: 'sidebar', ref }, now);
  await touch(CUSTOMERS.chen, 20, 'chen-care-1');
  await touch(CUSTOMERS.sun, 40, 'sun-1');
  await touch(CUSTOMERS.sun, 25, 'sun-2');
  await touch(CUSTOMERS.sun, 9, 'sun-3', 'marketing');

  // The group: 李娜 owns it; 何敏 left five days ago; 郑雨 joined yesterday.
  const member = (id: string, type: 1 | 2, joinedAgo: number, name: string): GroupMember => ({
    memberId: id, type, joinTime: daysAgo(joinedAgo, 12), joinScene: 3, name,
  });
  const base: GroupMember[] = [
    member(REPS.lina, 1, 100, '李娜'), member(REPS.zhangwei, 1, 100, '张伟'),
    member(CUSTOMERS.chen, 2, 90, '陈静'), member(CUSTOMERS.liu, 2, 60, '刘洋'), member(CUSTOMERS.sun, 2, 80, '孙磊'),
    member(CUSTOMERS.zhou, 2, 40, '周婷'),
  ];
  const chat = { chatId: GROUP, name: '山茶花会员群', ownerUserId: REPS.lina, createdAt: daysAgo(100), notice: '新品试用、护肤答疑，欢迎大家交流～' };
  await db.transaction((tx) => saveGroupChat(tx, { ...chat, members: [...base, member(CUSTOMERS.he, 2, 50, '何敏')] }, { at: daysAgo(50), now, cause: 'seed:g1' }));
  await db.transaction((tx) => saveGroupChat(tx, { ...chat, members: base }, { at: daysAgo(5, 20), now, cause: 'seed:g2' }));
  await db.transaction((tx) => saveGroupChat(tx, { ...chat, members: [...base, member(CUSTOMERS.zheng, 2, 1, '郑雨')] }, { at: daysAgo(1, 12), now, cause: 'seed:g3' }));
  await recordSentMessage(db, { ref: 'group-content-1', category: 'group_content', chatId: GROUP, userId: REPS.lina, text: '本周护肤小课堂：换季如何保湿', at: daysAgo(2, 19) }, now);
}

/** The same corp as the WeCom simulator sees it (its times are unix seconds). */
export function simulatorSeed(): SeedData {
  const s = (ms: number) => Math.floor(ms / 1000);
  return {
    version: 1,
    corpName: '山茶花',
    departments: [
      { id: 1, name: '山茶花', parentId: 0, order: 1, leaders: [] },
      { id: 2, name: '销售一组', parentId: 1, order: 2, leaders: [REPS.supervisor] },
      { id: 3, name: '销售二组', parentId: 1, order: 3, leaders: [] },
    ],
    users: MEMBERS.map((m) => ({ userId: m.userId, name: m.name, departments: [m.dept], mainDepartment: m.dept, position: '顾问', gender: 2 })),
    customers: CUSTOMER_SPECS.filter((c, i) => CUSTOMER_SPECS.findIndex((x) => x.id === c.id) === i).map((c) => ({ externalUserId: c.id, name: c.name, type: 1, gender: 2, avatar: '', corpName: c.corpName })),
    // 冯晓 deleted 李娜: WeCom no longer has that relation.
    follows: CUSTOMER_SPECS.filter((c) => !(c.id === CUSTOMERS.feng && c.owner === REPS.lina)).map((c) => ({
      userId: c.owner, externalUserId: c.id, remark: c.remark, description: '', createTime: s(daysAgo(c.addedDaysAgo)), tagIds: [...c.tags],
      addWay: 1, state: 'store_qr', operUserId: c.owner, remarkMobiles: [],
    })),
    tagGroups: TAG_GROUPS.map((g, i) => ({
      groupId: g.groupId, groupName: g.name, createTime: s(NOW.getTime()) - 400 * 86_400, order: i + 1,
      tags: g.tags.map(([id, name], j) => ({ id, name, createTime: s(NOW.getTime()) - 400 * 86_400, order: j + 1 })),
    })),
    groupChats: [],
    kfAccounts: [],
    kfMessages: [],
  };
}
