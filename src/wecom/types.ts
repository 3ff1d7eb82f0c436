/**
 * What Fencun's code sees of WeCom's responses: the documented shapes (API.md section 4) with
 * camelCase names. Every time is converted to epoch milliseconds (WeCom sends unix seconds).
 * Lists WeCom pages come with `nextCursor` ('' when there are no more pages).
 */

export interface ExternalContact {
  externalUserId: string;
  name: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: number;
  /** 0 unknown, 1 male, 2 female. */
  gender: number;
  avatar?: string;
  position?: string;
  corpName?: string;
  corpFullName?: string;
  unionId?: string;
  externalProfile?: unknown;
}

export interface FollowUserTag {
  groupName: string;
  tagName: string;
  tagId?: string;
  /** 1 corp tag, 2 personal tag, 3 rule-group tag. */
  type: number;
}

/** The rep↔customer relation as externalcontact/get returns it. */
export interface FollowUser {
  userId: string;
  remark: string;
  description: string;
  /** When the rep added the customer (epoch ms). */
  createTime: number;
  tags: FollowUserTag[];
  remarkCorpName?: string;
  remarkMobiles: string[];
  operUserId?: string;
  /** API.md 4.4 add_way table (1 scan QR, 2 phone search, … 202 admin assigned). */
  addWay: number;
  /** The 「联系我」 channel state. */
  state?: string;
}

export interface ExternalContactDetail {
  externalContact: ExternalContact;
  /** Every follower, all pages merged. */
  followUser: FollowUser[];
}

/** The relation as batch/get_by_user returns it: tag ids instead of tag objects. */
export interface FollowInfo extends Omit<FollowUser, 'tags'> {
  tagIds: string[];
}

export interface ContactByUser {
  externalContact: ExternalContact;
  followInfo: FollowInfo;
}

export interface ContactsByUserPage {
  externalContactList: ContactByUser[];
  nextCursor: string;
}

export interface CorpTag {
  id: string;
  name: string;
  createTime: number;
  order: number;
  deleted: boolean;
}

export interface CorpTagGroup {
  groupId: string;
  groupName: string;
  createTime: number;
  order: number;
  deleted: boolean;
  tags: CorpTag[];
}

export interface GroupChatRef {
  chatId: string;
  /** 0 normal, 1 owner left (离职待继承), 2 inheriting, 3 inherited. */
  status: number;
}

export interface GroupChatsPage {
  groupChatList: GroupChatRef[];
  nextCursor: string;
}

export interface GroupChatMember {
  userId: string;
  /** 1 corp member, 2 external contact. */
  type: number;
  joinTime: number;
  joinScene: number;
  invitor?: string;
  groupNickname?: string;
  name?: string;
  unionId?: string;
}

export interface GroupChat {
  chatId: string;
  name: string;
  owner: string;
  createTime: number;
  notice?: string;
  memberList: GroupChatMember[];
  adminList: string[];
  memberVersion?: string;
}

export interface GroupMsg {
  msgId: string;
  creator?: string;
  createTime: number;
  /** 0 created by the corp, 1 by a member. */
  createType: number;
  text?: string;
  attachments: unknown[];
}

export interface GroupMsgListPage {
  groupMsgList: GroupMsg[];
  nextCursor: string;
}

export interface GroupMsgTask {
  userId: string;
  /** 0 not yet sent, 2 sent. */
  status: number;
  /** Epoch milliseconds (the client converts WeCom's seconds). */
  sendTime?: number;
}

export interface GroupMsgTaskPage {
  taskList: GroupMsgTask[];
  nextCursor: string;
}

export interface GroupMsgSendResult {
  externalUserId?: string;
  chatId?: string;
  userId: string;
  /** 0 not sent, 1 sent, 2 not a friend, 3 customer reached the receiving limit (platform cap). */
  status: number;
  /** Epoch milliseconds (the client converts WeCom's seconds). */
  sendTime?: number;
}

export interface GroupMsgSendResultPage {
  sendList: GroupMsgSendResult[];
  nextCursor: string;
}

export interface AddMsgTemplateResult {
  msgId: string;
  /** Recipients WeCom filtered out (invalid, not a customer of the sender, receiving limit reached). */
  failList: string[];
}

export interface AppMessageResult {
  msgId?: string;
  invalidUser: string[];
  invalidParty: string[];
  invalidTag: string[];
  unlicensedUser: string[];
  responseCode?: string;
}

export interface OAuthIdentity {
  userId: string;
  userTicket?: string;
}

export interface KfMessage {
  msgId: string;
  openKfId: string;
  externalUserId?: string;
  sendTime: number;
  /** 3 customer, 4 system event, 5 servicer. */
  origin: number;
  servicerUserId?: string;
  msgtype: string;
  text?: { content: string };
  /** The message as WeCom sent it, for types Fencun does not model yet. */
  raw: Record<string, unknown>;
}

export interface KfSyncResult {
  msgList: KfMessage[];
  nextCursor: string;
  hasMore: boolean;
}

export interface WecomUser {
  userId: string;
  name: string;
  department: number[];
  mainDepartment?: number;
  position?: string;
  /** Parallel to `department`: 1 where the member leads that department. */
  isLeaderInDept: number[];
  /** 1 active, 2 disabled, 4 not activated, 5 left. */
  status?: number;
}

export interface Department {
  id: number;
  name: string;
  parentId: number;
  order: number;
  /** Userids of the department's leaders (负责人): Fencun's supervisors. */
  departmentLeader: string[];
}

export interface DepartmentMember {
  userId: string;
  name: string;
  department: number[];
  openUserId?: string;
}

/** A temporary media file (media/upload): usable for 3 days from createdAt (epoch ms). */
export interface UploadedMedia {
  type: string;
  mediaId: string;
  createdAt: number;
}
