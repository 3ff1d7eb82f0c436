import fs from 'node:fs';
import path from 'node:path';
import { COMPANIES, customerName, personName, remarkFor } from './names';
import { Random } from './random';

/**
 * The simulator's world, as saved to and loaded from a seed file. Times are unix seconds, as
 * WeCom sends them. Supervision follows WeCom's own model: a department's leaders
 * (department_leader) supervise its members and the leaders of its sub-departments.
 */
export interface SeedData {
  version: 1;
  corpName: string;
  departments: SeedDepartment[];
  users: SeedUser[];
  customers: SeedCustomer[];
  follows: SeedFollow[];
  tagGroups: SeedTagGroup[];
  groupChats: SeedGroupChat[];
  kfAccounts: { openKfId: string; name: string }[];
  kfMessages: SeedKfMessage[];
}

export interface SeedDepartment { id: number; name: string; parentId: number; order: number; leaders: string[] }
export interface SeedUser { userId: string; name: string; departments: number[]; mainDepartment: number; position: string; gender: number }
export interface SeedCustomer {
  externalUserId: string; name: string; type: 1 | 2; gender: number; avatar: string; unionId?: string;
  corpName?: string; corpFullName?: string; position?: string;
}
export interface SeedFollow {
  userId: string; externalUserId: string; remark: string; description: string; createTime: number; tagIds: string[];
  addWay: number; state: string; operUserId: string; remarkCorpName?: string; remarkMobiles: string[];
}
export interface SeedTag { id: string; name: string; createTime: number; order: number }
export interface SeedTagGroup { groupId: string; groupName: string; createTime: number; order: number; tags: SeedTag[] }
export interface SeedGroupMember { userId: string; type: 1 | 2; joinTime: number; joinScene: number; invitor?: string; groupNickname?: string; name?: string }
export interface SeedGroupChat {
  chatId: string; name: string; owner: string; createTime: number; notice: string; status: number;
  members: SeedGroupMember[]; admins: string[];
}
export interface SeedKfMessage {
  msgid: string; openKfId: string; externalUserId: string; sendTime: number; origin: number; servicerUserId?: string;
  msgtype: 'text'; text: { content: string };
}

export interface GenerateOptions {
  /** The PRNG seed: same number, same corp. */
  seed?: number;
  reps?: number;
  customers?: number;
  /** Reps per sales team (each team has one leader). */
  teamSize?: number;
  groupChats?: number;
  /** Generation "now" (unix seconds); follows are spread over the two years before it. */
  now?: number;
}

const TAG_LIBRARY: [string, string[]][] = [
  ['客户等级', ['A类-重要', 'B类-普通', 'C类-潜在']],
  ['兴趣', ['护肤', '彩妆', '母婴', '数码', '运动', '茶饮']],
  ['来源', ['门店', '直播', '小红书', '老客推荐', '抖音']],
  ['生命阶段', ['新客', '复购', '沉睡']],
];

// add_way codes (API.md 4.4) weighted the way a retail corp sees them.
const ADD_WAYS: [number, number][] = [[1, 45], [2, 10], [3, 10], [4, 10], [6, 5], [16, 10], [202, 10]];
const STATES = ['', '', '', 'store_qr', 'live_0315', 'xhs_note', 'referral', 'douyin_ad'];
const KF_LINES = ['你好，我想问一下订单什么时候发货？', '这个有优惠吗', '收到了，谢谢😊', '尺码偏大吗？', '可以开发票吗', '我要退货', '怎么联系门店'];

/** Builds a corp deterministically. 100k customers / 500 reps takes about a second. */
export function generateSeed(o: GenerateOptions = {}): SeedData {
  const r = new Random(o.seed ?? 1);
  const repCount = o.reps ?? 12;
  const customerCount = o.customers ?? 300;
  const teamSize = o.teamSize ?? 8;
  const now = o.now ?? Math.floor(Date.UTC(2025, 2, 1) / 1000);
  const usedIds = new Set<string>();
  const userId = (pinyin: string) => {
    let id = pinyin;
    for (let n = 2; usedIds.has(id); n++) id = pinyin + n;
    usedIds.add(id);
    return id;
  };
  const person = () => {
    const p = personName(r);
    return { name: p.name, userId: userId(p.pinyin) };
  };

  const departments: SeedDepartment[] = [{ id: 1, name: '分寸商贸', parentId: 0, order: 1, leaders: [] }];
  const users: SeedUser[] = [];
  const boss = person();
  users.push({ ...boss, departments: [1], mainDepartment: 1, position: '总经理', gender: r.int(1, 2) });
  departments[0].leaders.push(boss.userId);

  const teams = Math.max(1, Math.ceil(repCount / teamSize));
  const regionCount = Math.max(1, Math.ceil(teams / 5));
  const regionNames = ['华东大区', '华南大区', '华北大区', '西南大区', '华中大区', '西北大区', '东北大区'];
  let nextDept = 2;
  const regionIds: number[] = [];
  for (let i = 0; i < regionCount; i++) {
    const id = nextDept++;
    const lead = person();
    users.push({ ...lead, departments: [id], mainDepartment: id, position: '大区经理', gender: r.int(1, 2) });
    departments.push({ id, name: regionNames[i % regionNames.length] + (i >= regionNames.length ? String(Math.floor(i / regionNames.length) + 1) : ''), parentId: 1, order: i + 1, leaders: [lead.userId] });
    regionIds.push(id);
  }
  const reps: string[] = [];
  for (let t = 0; t < teams; t++) {
    const id = nextDept++;
    const lead = person();
    users.push({ ...lead, departments: [id], mainDepartment: id, position: '销售主管', gender: r.int(1, 2) });
    departments.push({ id, name: `销售${t + 1}组`, parentId: regionIds[t % regionCount], order: t + 1, leaders: [lead.userId] });
    const size = Math.min(teamSize, repCount - t * teamSize);
    for (let k = 0; k < size; k++) {
      const rep = person();
      users.push({ ...rep, departments: [id], mainDepartment: id, position: r.pick(['销售顾问', '客户经理', '导购']), gender: r.int(1, 2) });
      reps.push(rep.userId);
    }
  }

  const tagGroups: SeedTagGroup[] = TAG_LIBRARY.map(([groupName, names], gi) => ({
    groupId: 'et' + r.id(20) + 'G', groupName, createTime: now - 400 * 86400, order: gi + 1,
    tags: names.map((name, ti) => ({ id: 'et' + r.id(20) + 'T', name, createTime: now - 400 * 86400, order: ti + 1 })),
  }));

  const customers: SeedCustomer[] = [];
  const follows: SeedFollow[] = [];
  const byRep = new Map<string, string[]>();
  for (let i = 0; i < customerCount; i++) {
    const isWecom = r.chance(0.05);
    const company = isWecom ? r.pick(COMPANIES) : '';
    const c: SeedCustomer = {
      externalUserId: (isWecom ? 'wo' : 'wm') + r.id(26) + 'AAAA',
      name: customerName(r),
      type: isWecom ? 2 : 1,
      gender: r.weighted([[0, 1], [1, 4], [2, 5]]),
      avatar: `http://wx.qlogo.cn/mmhead/${r.id(24)}/0`,
      unionId: r.chance(0.7) ? 'o' + r.id(27) : undefined,
      ...(isWecom ? { corpName: company, corpFullName: company + '有限公司', position: r.pick(['经理', '采购', '总监']) } : {}),
    };
    customers.push(c);
    // Reps' books are uneven: a few reps hold many customers.
    const pi = Math.min(reps.length - 1, Math.floor(r.next() ** 1.3 * reps.length));
    const primary = reps[pi];
    const second = reps.length > 1 && r.chance(0.1) ? reps[(pi + r.int(1, reps.length - 1)) % reps.length] : null;
    const followers = second ? [primary, second] : [primary];
    for (const rep of followers) {
      follows.push(makeFollow(r, rep, c, tagGroups, now));
      (byRep.get(rep) ?? byRep.set(rep, []).get(rep)!).push(c.externalUserId);
    }
  }

  const groupChats: SeedGroupChat[] = [];
  const chatCount = o.groupChats ?? Math.max(1, Math.floor(reps.length / 2));
  for (let g = 0; g < chatCount; g++) {
    const owner = reps[g % reps.length];
    const book = byRep.get(owner) ?? [];
    const created = now - r.int(10, 500) * 86400;
    const members: SeedGroupMember[] = [{ userId: owner, type: 1, joinTime: created, joinScene: 0 }];
    for (const ext of r.sample(book, r.int(Math.min(3, book.length), Math.min(60, book.length)))) {
      members.push({ userId: ext, type: 2, joinTime: created + r.int(0, 300) * 3600, joinScene: r.pick([1, 2, 3]), invitor: owner });
    }
    groupChats.push({
      chatId: 'wr' + r.id(26) + 'AAAA', name: `${r.pick(['VIP', '会员', '新品', '福利', '宝妈'])}${r.pick(['交流群', '福利群', '服务群'])}${g + 1}`,
      owner, createTime: created, notice: r.chance(0.5) ? '文明沟通，拒绝广告' : '', status: 0, members, admins: [],
    });
  }

  const kfAccounts = [{ openKfId: 'wk' + r.id(30), name: '官方客服' }];
  const kfMessages: SeedKfMessage[] = [];
  for (let i = 0; i < Math.min(50, customers.length); i++) {
    const c = r.pick(customers);
    kfMessages.push({
      msgid: 'from_msgid_' + r.id(16), openKfId: kfAccounts[0].openKfId, externalUserId: c.externalUserId,
      sendTime: now - r.int(60, 2 * 86400), origin: 3, msgtype: 'text', text: { content: r.pick(KF_LINES) },
    });
  }
  kfMessages.sort((a, b) => a.sendTime - b.sendTime);

  return { version: 1, corpName: '分寸商贸', departments, users, customers, follows, tagGroups, groupChats, kfAccounts, kfMessages };
}

function makeFollow(r: Random, userId: string, c: SeedCustomer, tagGroups: SeedTagGroup[], now: number): SeedFollow {
  const tagIds: string[] = [];
  const [level, interest, source] = tagGroups;
  if (r.chance(0.6)) tagIds.push(r.weighted(level.tags.map((t, i) => [t.id, [1, 3, 4][i] ?? 1] as const)));
  for (const t of r.sample(interest.tags, r.int(0, 2))) tagIds.push(t.id);
  if (r.chance(0.5)) tagIds.push(r.pick(source.tags).id);
  return {
    userId, externalUserId: c.externalUserId, remark: remarkFor(r, c.name),
    description: r.chance(0.2) ? r.pick(['生日在三月', '偏好线上沟通', '只在周末回复', '对价格敏感', '老客户介绍']) : '',
    createTime: now - r.int(60, 730 * 86400), tagIds, addWay: r.weighted(ADD_WAYS), state: r.pick(STATES), operUserId: userId,
    remarkCorpName: c.corpName, remarkMobiles: r.chance(0.3) ? ['1' + r.pick(['38', '39', '58', '86']) + String(r.int(10000000, 99999999))] : [],
  };
}

export function loadSeedFile(file: string): SeedData {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as SeedData;
  if (data.version !== 1 || !Array.isArray(data.users) || !Array.isArray(data.customers)) {
    throw new Error(`${file} is not a simulator seed file (expected version 1 with users and customers)`);
  }
  return data;
}

export function saveSeedFile(file: string, data: SeedData): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(data, null, 1));
}
