import { randomBytes } from 'node:crypto';
import type { SimContext } from './api/context';
import type { Delivery } from './callbacks';
import { eventLabel, eventXml, SimEvent } from './events';
import type { SeedFollow } from './seed';
import { memberVersion } from './state';

/** Options every change accepts: deliver the callback `duplicates` extra times. */
export interface ChangeOptions {
  duplicates?: number;
}

export interface AddContactInput extends ChangeOptions {
  userId: string;
  externalUserId?: string;
  name?: string;
  state?: string;
  addWay?: number;
  remark?: string;
  tagIds?: string[];
  /** Customer added a member who has 免验证 on (add_half_external_contact). */
  half?: boolean;
  /** Push a WelcomeCode (default true); WeCom omits it when a native welcome is configured. */
  welcome?: boolean;
}

export interface ChangeResult {
  delivery: Delivery;
}

/**
 * Changes to the simulated corp as they happen in the WeCom client (a rep adds a customer, a
 * customer deletes the rep, someone joins a group, an admin creates a tag). Each updates the
 * state and delivers the matching callback (API.md section 3) to the callback URL.
 */
export class WorldChanges {
  constructor(protected readonly sim: SimContext) {}

  addContact(i: AddContactInput): ChangeResult & { externalUserId: string; welcomeCode?: string } {
    this.requireUser(i.userId);
    const { state } = this.sim;
    const externalUserId = i.externalUserId ?? 'wm' + randomBytes(20).toString('base64url').replace(/[-_]/g, 'x').slice(0, 26) + 'AAAA';
    if (!state.customers.has(externalUserId)) {
      state.customers.set(externalUserId, {
        externalUserId, name: i.name ?? '新客户', type: 1, gender: 0, avatar: 'http://wx.qlogo.cn/mmhead/sim/0',
      });
    }
    if (state.getFollow(i.userId, externalUserId)) throw new Error(`${i.userId} already follows ${externalUserId}`);
    const follow: SeedFollow = {
      userId: i.userId, externalUserId, remark: i.remark ?? '', description: '', createTime: this.seconds(), tagIds: i.tagIds ?? [],
      addWay: i.addWay ?? 1, state: i.state ?? '', operUserId: i.half ? externalUserId : i.userId, remarkMobiles: [],
    };
    state.putFollow(follow);
    let welcomeCode: string | undefined;
    if (i.welcome !== false) {
      welcomeCode = 'WELCOME' + randomBytes(12).toString('hex').toUpperCase();
      this.sim.platform.welcomeCodes.set(welcomeCode, { issuedAt: this.sim.now(), used: false, userId: i.userId, externalUserId });
    }
    const delivery = this.emit({
      kind: 'contact', changeType: i.half ? 'add_half_external_contact' : 'add_external_contact',
      userId: i.userId, externalUserId, state: i.state ?? '', welcomeCode,
    }, i);
    return { externalUserId, welcomeCode, delivery };
  }

  /** The rep edits remark/description/tags in the client (edit_external_contact). */
  editContact(i: { userId: string; externalUserId: string; remark?: string; description?: string; addTagIds?: string[]; removeTagIds?: string[] } & ChangeOptions): ChangeResult {
    const f = this.requireFollow(i.userId, i.externalUserId);
    if (i.remark !== undefined) f.remark = i.remark;
    if (i.description !== undefined) f.description = i.description;
    const remove = new Set(i.removeTagIds ?? []);
    f.tagIds = [...new Set([...f.tagIds.filter((t) => !remove.has(t)), ...(i.addTagIds ?? [])])];
    return { delivery: this.emit({ kind: 'contact', changeType: 'edit_external_contact', userId: i.userId, externalUserId: i.externalUserId }, i) };
  }

  /** The customer deletes the rep (del_follow_user, "被删"). */
  customerDeletesRep(i: { userId: string; externalUserId: string } & ChangeOptions): ChangeResult {
    this.requireFollow(i.userId, i.externalUserId);
    this.sim.state.endFollow(i.userId, i.externalUserId, 'customer', this.sim.now());
    return { delivery: this.emit({ kind: 'contact', changeType: 'del_follow_user', userId: i.userId, externalUserId: i.externalUserId }, i) };
  }

  /** The rep deletes the customer (del_external_contact); source DELETE_BY_TRANSFER for 在职继承. */
  repDeletesCustomer(i: { userId: string; externalUserId: string; source?: string } & ChangeOptions): ChangeResult {
    this.requireFollow(i.userId, i.externalUserId);
    this.sim.state.endFollow(i.userId, i.externalUserId, 'rep', this.sim.now());
    return {
      delivery: this.emit({ kind: 'contact', changeType: 'del_external_contact', userId: i.userId, externalUserId: i.externalUserId, source: i.source }, i),
    };
  }

  transferFail(i: { userId: string; externalUserId: string; failReason?: 'customer_refused' | 'customer_limit_exceed' } & ChangeOptions): ChangeResult {
    return {
      delivery: this.emit({
        kind: 'contact', changeType: 'transfer_fail', userId: i.userId, externalUserId: i.externalUserId, failReason: i.failReason ?? 'customer_refused',
      }, i),
    };
  }

  createGroupChat(i: { owner: string; name: string; externalUserIds?: string[] } & ChangeOptions): ChangeResult & { chatId: string } {
    this.requireUser(i.owner);
    const now = this.seconds();
    const chatId = 'wr' + randomBytes(20).toString('hex').slice(0, 26) + 'AAAA';
    const members = [
      { userId: i.owner, type: 1 as const, joinTime: now, joinScene: 0 },
      ...(i.externalUserIds ?? []).map((u) => ({ userId: u, type: 2 as const, joinTime: now, joinScene: 1, invitor: i.owner })),
    ];
    const chat = { chatId, name: i.name, owner: i.owner, createTime: now, notice: '', status: 0, members, admins: [], memberVersion: '' };
    chat.memberVersion = memberVersion(chat);
    this.sim.state.groupChats.set(chatId, chat);
    return { chatId, delivery: this.emit({ kind: 'chat', changeType: 'create', chatId }, i) };
  }

  /** Members join (add_member); customers are type 2, corp members type 1. */
  joinGroupChat(i: { chatId: string; userIds: string[]; joinScene?: number } & ChangeOptions): ChangeResult {
    const chat = this.requireChat(i.chatId);
    const last = chat.memberVersion;
    const now = this.seconds();
    for (const u of i.userIds) {
      if (chat.members.some((m) => m.userId === u)) continue;
      chat.members.push({ userId: u, type: this.sim.state.users.has(u) ? 1 : 2, joinTime: now, joinScene: i.joinScene ?? 1, invitor: chat.owner });
    }
    chat.memberVersion = memberVersion(chat);
    return {
      delivery: this.emit({
        kind: 'chat', changeType: 'update', chatId: i.chatId, updateDetail: 'add_member', joinScene: i.joinScene ?? 1,
        memChangeList: i.userIds, lastMemVer: last, curMemVer: chat.memberVersion,
      }, i),
    };
  }

  leaveGroupChat(i: { chatId: string; userIds: string[]; quitScene?: number } & ChangeOptions): ChangeResult {
    const chat = this.requireChat(i.chatId);
    const last = chat.memberVersion;
    chat.members = chat.members.filter((m) => !i.userIds.includes(m.userId));
    chat.memberVersion = memberVersion(chat);
    return {
      delivery: this.emit({
        kind: 'chat', changeType: 'update', chatId: i.chatId, updateDetail: 'del_member', quitScene: i.quitScene ?? 0,
        memChangeList: i.userIds, lastMemVer: last, curMemVer: chat.memberVersion,
      }, i),
    };
  }

  renameGroupChat(i: { chatId: string; name: string } & ChangeOptions): ChangeResult {
    this.requireChat(i.chatId).name = i.name;
    return { delivery: this.emit({ kind: 'chat', changeType: 'update', chatId: i.chatId, updateDetail: 'change_name' }, i) };
  }

  dismissGroupChat(i: { chatId: string } & ChangeOptions): ChangeResult {
    this.requireChat(i.chatId);
    this.sim.state.groupChats.delete(i.chatId);
    return { delivery: this.emit({ kind: 'chat', changeType: 'dismiss', chatId: i.chatId }, i) };
  }

  /** An admin creates a tag (in a new group when groupName is new: then the event is for the group). */
  createTag(i: { groupName: string; name: string } & ChangeOptions): ChangeResult & { tagId: string; groupId: string } {
    const now = this.seconds();
    let group = [...this.sim.state.tagGroups.values()].find((g) => g.groupName === i.groupName);
    const newGroup = !group;
    if (!group) {
      group = { groupId: 'et' + randomBytes(10).toString('hex') + 'G', groupName: i.groupName, createTime: now, order: this.sim.state.tagGroups.size + 1, tags: [] };
      this.sim.state.tagGroups.set(group.groupId, group);
    }
    const tagId = 'et' + randomBytes(10).toString('hex') + 'T';
    group.tags.push({ id: tagId, name: i.name, createTime: now, order: group.tags.length + 1 });
    const delivery = this.emit(
      newGroup ? { kind: 'tag', changeType: 'create', id: group.groupId, tagType: 'tag_group' } : { kind: 'tag', changeType: 'create', id: tagId, tagType: 'tag' },
      i,
    );
    return { tagId, groupId: group.groupId, delivery };
  }

  updateTag(i: { tagId: string; name: string } & ChangeOptions): ChangeResult {
    const t = this.sim.state.findTag(i.tagId);
    if (!t) throw new Error(`no tag ${i.tagId}`);
    t.tag.name = i.name;
    return { delivery: this.emit({ kind: 'tag', changeType: 'update', id: i.tagId, tagType: 'tag' }, i) };
  }

  deleteTag(i: { tagId: string } & ChangeOptions): ChangeResult {
    const t = this.sim.state.findTag(i.tagId);
    if (!t) throw new Error(`no tag ${i.tagId}`);
    t.group.tags = t.group.tags.filter((x) => x.id !== i.tagId);
    for (const f of this.sim.state.followsByUser.values()) for (const x of f.values()) x.tagIds = x.tagIds.filter((id) => id !== i.tagId);
    return { delivery: this.emit({ kind: 'tag', changeType: 'delete', id: i.tagId, tagType: 'tag' }, i) };
  }

  /** A member writes to the app (a text message with a MsgId). */
  appMessage(i: { userId: string; content: string } & ChangeOptions): ChangeResult & { msgId: string } {
    this.requireUser(i.userId);
    const msgId = String(BigInt('0x' + randomBytes(7).toString('hex')));
    return { msgId, delivery: this.emit({ kind: 'app_text', userId: i.userId, content: i.content, msgId }, i) };
  }

  enterAgent(i: { userId: string } & ChangeOptions): ChangeResult {
    this.requireUser(i.userId);
    return { delivery: this.emit({ kind: 'enter_agent', userId: i.userId }, i) };
  }

  /** A customer writes to WeChat KF: the message is stored for sync_msg, the callback carries a Token. */
  kfCustomerMessage(i: { externalUserId: string; content: string; openKfId?: string } & ChangeOptions): ChangeResult & { msgId: string; token: string } {
    const openKfId = i.openKfId ?? this.sim.state.kfAccounts[0]?.openKfId;
    if (!openKfId) throw new Error('the simulated corp has no KF account');
    const msgId = 'from_msgid_' + randomBytes(8).toString('hex');
    this.sim.state.kfMessages.push({
      msgid: msgId, openKfId, externalUserId: i.externalUserId, sendTime: this.seconds(), origin: 3, msgtype: 'text', text: { content: i.content },
    });
    const token = 'ENC' + randomBytes(16).toString('base64url');
    this.sim.platform.kfTokens.set(token, this.sim.now());
    return { msgId, token, delivery: this.emit({ kind: 'kf', token, openKfId }, i) };
  }

  protected emit(e: SimEvent, o: ChangeOptions = {}): Delivery {
    const xml = eventXml(e, this.sim.corpId, this.sim.agentId, this.seconds());
    return this.sim.sender.send(eventLabel(e), xml, o.duplicates ?? 0);
  }

  protected seconds(): number {
    return Math.floor(this.sim.now() / 1000);
  }

  private requireUser(userId: string): void {
    if (!this.sim.state.users.has(userId)) throw new Error(`no member ${userId}`);
  }

  private requireFollow(userId: string, externalUserId: string): SeedFollow {
    const f = this.sim.state.getFollow(userId, externalUserId);
    if (!f) throw new Error(`${userId} does not follow ${externalUserId}`);
    return f;
  }

  private requireChat(chatId: string) {
    const c = this.sim.state.groupChats.get(chatId);
    if (!c) throw new Error(`no group chat ${chatId}`);
    return c;
  }
}
