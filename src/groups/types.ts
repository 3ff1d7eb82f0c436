/** A customer group (客户群) as groupchat/get reports it; instants in epoch ms. */
export interface GroupChat {
  chatId: string;
  name: string;
  ownerUserId: string | null;
  createdAt: number | null;
  notice: string | null;
  memberVersion?: string | null;
  members: GroupMember[];
}

export interface GroupMember {
  /** userid for internal members, external_userid for customers. */
  memberId: string;
  /** 1 internal member, 2 external contact. */
  type: number;
  unionid?: string | null;
  name?: string | null;
  groupNickname?: string | null;
  joinTime: number | null;
  /** 1 direct invite, 2 invite link, 3 scan QR (API.md 4.13). */
  joinScene?: number | null;
  invitor?: string | null;
}

/** What the event said about the change, to date a leave and keep its scene. */
export interface GroupChangeHint {
  updateDetail?: string;
  memChangeList?: string[];
  joinScene?: number;
  quitScene?: number;
}
