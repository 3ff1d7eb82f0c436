/**
 * Customer-data shapes as Fencun stores them, independent of WeCom's JSON. Instants are epoch
 * milliseconds (WeCom's seconds are converted at the edge, in wecom-port.ts).
 */

export interface ContactProfile {
  externalUserId: string;
  name: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: number;
  /** 0 unknown, 1 male, 2 female. */
  gender: number;
  unionid?: string | null;
  corpName?: string | null;
  position?: string | null;
  avatar?: string | null;
}

export interface FollowTag {
  /** Corp tag id; personal tags (which have none) are stored as `personal:<name>`. */
  tagId: string;
  /** 1 corp, 2 personal, 3 rule-group. */
  type: number;
  name?: string | null;
}

/**
 * One rep's side of the relation, as externalcontact/get or batch/get_by_user report it.
 * An undefined field is unknown (kept as stored); null clears it.
 */
export interface FollowInfo {
  userId: string;
  externalUserId: string;
  remark?: string | null;
  description?: string | null;
  remarkCorpName?: string | null;
  remarkMobiles?: string[];
  /**
   * The rep's tags on the customer. `onlyCorpTags` marks sources (batch/get_by_user) that list
   * corp tag ids only: personal tags are then left as they are. null: unknown, keep what we have.
   */
  tags: FollowTag[] | null;
  onlyCorpTags?: boolean;
  addWay?: number | null;
  state?: string | null;
  operUserId?: string | null;
  /** When the rep and customer became connected. */
  createdAt?: number | null;
}

export type FollowStatus = 'active' | 'half' | 'ended';

/** Who ended a relation: the rep, the customer, 在职继承, or the reconcile (no event seen). */
export type EndedBy = 'rep_deleted' | 'customer_deleted' | 'transfer' | 'sync';

export interface Follow {
  id: number;
  userId: string;
  externalUserId: string;
  status: FollowStatus;
  remark: string | null;
  description: string | null;
  remarkCorpName: string | null;
  remarkMobiles: string[];
  addWay: number | null;
  state: string | null;
  operUserId: string | null;
  addedAt: number | null;
  endedAt: number | null;
  endedBy: EndedBy | null;
  lastEventAt: number;
  tags: FollowTag[];
}

export interface Member {
  userId: string;
  name: string;
  position?: string | null;
  departmentIds: number[];
  mainDepartment?: number | null;
  /** Leader of at least one of their departments (is_leader_in_dept). */
  isLeader: boolean;
  /** 直属上级 userids. */
  directLeaders: string[];
}

export interface Department {
  id: number;
  name: string;
  parentId: number | null;
  order: number;
  leaders: string[];
}

export type ChangeKind =
  | 'follow_added'
  | 'follow_half_added'
  | 'follow_edited'
  | 'follow_ended'
  | 'transfer_failed'
  | 'archive_agreed'
  | 'tag_added'
  | 'tag_removed'
  | 'group_joined'
  | 'group_left';
