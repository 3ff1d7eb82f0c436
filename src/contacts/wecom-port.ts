import type { WecomClient } from '../wecom/client';
import { isWecomErrcode, WecomConfigError, WecomRateLimitError, WecomUnavailableError } from '../wecom/errors';
import type * as W from '../wecom/types';
import type { GroupChat } from '../groups/types';
import type { TagGroup } from '../tags/types';
import type { ContactProfile, Department, FollowInfo, Member } from './types';

/**
 * The WeCom calls the customer-data capability makes: a narrow slice of WecomClient, so handlers
 * and the reconcile can be driven by the simulator or a test double. The functions below turn the
 * client's shapes into what Fencun stores.
 */
export type CustomerDataWecom = Pick<WecomClient,
  | 'getExternalContact'
  | 'batchGetByUser'
  | 'getCorpTagList'
  | 'listGroupChats'
  | 'getGroupChat'
  | 'sendWelcomeMsg'
  | 'kfSyncMsg'
  | 'listDepartments'
  | 'listDepartmentMembers'>;

/** 84061: WeCom's "not an external contact" — nobody in the corp follows this customer (any more). */
export const NOT_EXTERNAL_CONTACT = 84061;

/**
 * Failures worth retrying later (rate limits, WeCom down, a setup problem the operator will fix):
 * the handler throws and the inbox retries with backoff. Anything else is a permanent answer
 * about this one record.
 */
export function isTransient(err: unknown): boolean {
  return err instanceof WecomRateLimitError || err instanceof WecomUnavailableError || err instanceof WecomConfigError;
}

export function isNotFound(err: unknown): boolean {
  return isWecomErrcode(err, NOT_EXTERNAL_CONTACT);
}

export function toContactProfile(c: W.ExternalContact): ContactProfile {
  return {
    externalUserId: c.externalUserId, name: c.name, type: c.type, gender: c.gender, unionid: c.unionId ?? null,
    corpName: c.corpName ?? null, position: c.position ?? null, avatar: c.avatar ?? null,
  };
}

/** A follower from externalcontact/get (full tag objects, personal tags included). */
export function fromFollowUser(externalUserId: string, f: W.FollowUser): FollowInfo {
  return {
    userId: f.userId, externalUserId, remark: f.remark || null, description: f.description || null,
    remarkCorpName: f.remarkCorpName || null, remarkMobiles: f.remarkMobiles ?? [], addWay: f.addWay, state: f.state || null,
    operUserId: f.operUserId || null, createdAt: f.createTime || null,
    tags: f.tags.map((t) => ({
      tagId: t.tagId ?? `personal:${t.tagName}`,
      type: t.tagId ? t.type : 2,
      name: t.tagName,
    })),
  };
}

/** A relation from batch/get_by_user: corp tag ids only. */
export function fromFollowInfo(externalUserId: string, f: W.FollowInfo): FollowInfo {
  return {
    userId: f.userId, externalUserId, remark: f.remark || null, description: f.description || null,
    remarkCorpName: f.remarkCorpName || null, remarkMobiles: f.remarkMobiles ?? [], addWay: f.addWay, state: f.state || null,
    operUserId: f.operUserId || null, createdAt: f.createTime || null,
    tags: f.tagIds.map((id) => ({ tagId: id, type: 1 })), onlyCorpTags: true,
  };
}

export function toTagGroups(groups: W.CorpTagGroup[]): TagGroup[] {
  return groups.filter((g) => !g.deleted).map((g) => ({
    groupId: g.groupId, name: g.groupName, order: g.order, createdAt: g.createTime || null,
    tags: g.tags.filter((t) => !t.deleted).map((t) => ({ tagId: t.id, name: t.name, order: t.order, createdAt: t.createTime || null })),
  }));
}

export function toGroupChat(g: W.GroupChat): GroupChat {
  return {
    chatId: g.chatId, name: g.name, ownerUserId: g.owner || null, createdAt: g.createTime || null, notice: g.notice || null,
    memberVersion: g.memberVersion ?? null,
    members: g.memberList.map((m) => ({
      memberId: m.userId, type: m.type, unionid: m.unionId ?? null, name: m.name ?? null, groupNickname: m.groupNickname ?? null,
      joinTime: m.joinTime || null, joinScene: m.joinScene ?? null, invitor: m.invitor ?? null,
    })),
  };
}

export function toDepartment(d: W.Department): Department {
  return { id: d.id, name: d.name, parentId: d.parentId || null, order: d.order, leaders: d.departmentLeader ?? [] };
}

/** Members from user/simplelist; leadership comes from the departments' 负责人 lists. */
export function toMember(m: W.DepartmentMember, departments: Map<number, Department>): Member {
  const isLeader = m.department.some((id) => departments.get(id)?.leaders.includes(m.userId));
  return { userId: m.userId, name: m.name, departmentIds: m.department, mainDepartment: m.department[0] ?? null, isLeader, directLeaders: [] };
}
