import { z } from 'zod';
import type * as T from './types';

/**
 * Zod schemas for WeCom's responses (API.md section 4), each mapping the wire shape to the
 * camelCase type in types.ts. Unknown fields are dropped; a missing required field fails the
 * call with an error naming the endpoint.
 */

const str = z.string();
const optStr = z.string().nullish().transform((v) => v ?? undefined);
const strOrEmpty = z.string().nullish().transform((v) => v ?? '');
const int = z.coerce.number();
/** Unix seconds → epoch ms. */
const seconds = z.coerce.number().transform((s) => s * 1000);
const optSeconds = z.coerce.number().nullish().transform((s) => (s === null || s === undefined ? undefined : s * 1000));
const strList = z.array(z.string()).nullish().transform((v) => v ?? []);
/** message/send joins ids with '|'. */
const pipeList = z.string().nullish().transform((v) => (v ? v.split('|').filter(Boolean) : []));

export const tokenResponse = z.object({ access_token: str.min(1), expires_in: int });
export const ticketResponse = z.object({ ticket: str.min(1), expires_in: int });

export const externalContact = z
  .object({
    external_userid: str,
    name: strOrEmpty,
    type: int.default(1),
    gender: int.default(0),
    avatar: optStr,
    position: optStr,
    corp_name: optStr,
    corp_full_name: optStr,
    unionid: optStr,
    external_profile: z.unknown().optional(),
  })
  .transform((c): T.ExternalContact => ({
    externalUserId: c.external_userid, name: c.name, type: c.type, gender: c.gender, avatar: c.avatar,
    position: c.position, corpName: c.corp_name, corpFullName: c.corp_full_name, unionId: c.unionid,
    externalProfile: c.external_profile,
  }));

const followCommon = {
  userid: str,
  remark: strOrEmpty,
  description: strOrEmpty,
  createtime: seconds,
  remark_corp_name: optStr,
  remark_mobiles: strList,
  oper_userid: optStr,
  add_way: int.default(0),
  state: optStr,
};

type FollowWire = z.output<z.ZodObject<typeof followCommon>>;

function followBase(f: FollowWire): Omit<T.FollowUser, 'tags'> {
  return {
    userId: f.userid, remark: f.remark, description: f.description, createTime: f.createtime,
    remarkCorpName: f.remark_corp_name, remarkMobiles: f.remark_mobiles, operUserId: f.oper_userid,
    addWay: f.add_way, state: f.state,
  };
}

export const followUser = z
  .object({
    ...followCommon,
    tags: z
      .array(z.object({ group_name: strOrEmpty, tag_name: strOrEmpty, tag_id: optStr, type: int.default(1) }))
      .nullish()
      .transform((v) => v ?? []),
  })
  .transform((f): T.FollowUser => ({
    ...followBase(f),
    tags: f.tags.map((t) => ({ groupName: t.group_name, tagName: t.tag_name, tagId: t.tag_id, type: t.type })),
  }));

export const externalContactGet = z.object({
  external_contact: externalContact,
  follow_user: z.array(followUser).nullish().transform((v) => v ?? []),
  next_cursor: strOrEmpty,
});

export const externalContactList = z.object({ external_userid: strList });

export const batchGetByUser = z
  .object({
    external_contact_list: z
      .array(
        z.object({
          external_contact: externalContact,
          follow_info: z.object({ ...followCommon, tag_id: strList }).transform((f): T.FollowInfo => ({ ...followBase(f), tagIds: f.tag_id })),
        }),
      )
      .nullish()
      .transform((v) => v ?? []),
    next_cursor: strOrEmpty,
  })
  .transform((r): T.ContactsByUserPage => ({
    externalContactList: r.external_contact_list.map((i) => ({ externalContact: i.external_contact, followInfo: i.follow_info })),
    nextCursor: r.next_cursor,
  }));

const corpTag = z
  .object({ id: str, name: str, create_time: seconds, order: int.default(0), deleted: z.boolean().default(false) })
  .transform((t): T.CorpTag => ({ id: t.id, name: t.name, createTime: t.create_time, order: t.order, deleted: t.deleted }));

export const corpTagList = z
  .object({
    tag_group: z
      .array(
        z.object({
          group_id: str,
          group_name: str,
          create_time: seconds,
          order: int.default(0),
          deleted: z.boolean().default(false),
          tag: z.array(corpTag).nullish().transform((v) => v ?? []),
        }),
      )
      .nullish()
      .transform((v) => v ?? []),
  })
  .transform((r): T.CorpTagGroup[] =>
    r.tag_group.map((g) => ({
      groupId: g.group_id, groupName: g.group_name, createTime: g.create_time, order: g.order, deleted: g.deleted, tags: g.tag,
    })),
  );

export const empty = z.object({});

/** media/upload: created_at is unix seconds as a string. */
export const mediaUpload = z.object({ type: str, media_id: str.min(1), created_at: seconds }).transform((r) => ({ type: r.type, mediaId: r.media_id, createdAt: r.created_at }));

export const groupChatList = z
  .object({
    group_chat_list: z.array(z.object({ chat_id: str, status: int.default(0) })).nullish().transform((v) => v ?? []),
    next_cursor: strOrEmpty,
  })
  .transform((r): T.GroupChatsPage => ({
    groupChatList: r.group_chat_list.map((c) => ({ chatId: c.chat_id, status: c.status })),
    nextCursor: r.next_cursor,
  }));

export const groupChatGet = z
  .object({
    group_chat: z.object({
      chat_id: str,
      name: strOrEmpty,
      owner: str,
      create_time: seconds,
      notice: optStr,
      member_list: z
        .array(
          z.object({
            userid: str,
            type: int,
            join_time: seconds,
            join_scene: int.default(0),
            invitor: z.object({ userid: str }).nullish(),
            group_nickname: optStr,
            name: optStr,
            unionid: optStr,
          }),
        )
        .nullish()
        .transform((v) => v ?? []),
      admin_list: z.array(z.object({ userid: str })).nullish().transform((v) => v ?? []),
      member_version: optStr,
    }),
  })
  .transform(({ group_chat: g }): T.GroupChat => ({
    chatId: g.chat_id, name: g.name, owner: g.owner, createTime: g.create_time, notice: g.notice,
    memberList: g.member_list.map((m) => ({
      userId: m.userid, type: m.type, joinTime: m.join_time, joinScene: m.join_scene, invitor: m.invitor?.userid ?? undefined,
      groupNickname: m.group_nickname, name: m.name, unionId: m.unionid,
    })),
    adminList: g.admin_list.map((a) => a.userid),
    memberVersion: g.member_version,
  }));

export const addMsgTemplate = z
  .object({ msgid: str, fail_list: strList })
  .transform((r): T.AddMsgTemplateResult => ({ msgId: r.msgid, failList: r.fail_list }));

export const groupMsgList = z
  .object({
    group_msg_list: z
      .array(
        z.object({
          msgid: str,
          creator: optStr,
          create_time: seconds,
          create_type: int.default(0),
          text: z.object({ content: strOrEmpty }).nullish(),
          attachments: z.array(z.unknown()).nullish().transform((v) => v ?? []),
        }),
      )
      .nullish()
      .transform((v) => v ?? []),
    next_cursor: strOrEmpty,
  })
  .transform((r): T.GroupMsgListPage => ({
    groupMsgList: r.group_msg_list.map((m) => ({
      msgId: m.msgid, creator: m.creator, createTime: m.create_time, createType: m.create_type,
      text: m.text?.content, attachments: m.attachments,
    })),
    nextCursor: r.next_cursor,
  }));

export const groupMsgTask = z
  .object({
    task_list: z.array(z.object({ userid: str, status: int, send_time: optSeconds })).nullish().transform((v) => v ?? []),
    next_cursor: strOrEmpty,
  })
  .transform((r): T.GroupMsgTaskPage => ({
    taskList: r.task_list.map((t) => ({ userId: t.userid, status: t.status, sendTime: t.send_time })),
    nextCursor: r.next_cursor,
  }));

export const groupMsgSendResult = z
  .object({
    send_list: z
      .array(z.object({ external_userid: optStr, chat_id: optStr, userid: str, status: int, send_time: optSeconds }))
      .nullish()
      .transform((v) => v ?? []),
    next_cursor: strOrEmpty,
  })
  .transform((r): T.GroupMsgSendResultPage => ({
    sendList: r.send_list.map((s) => ({
      externalUserId: s.external_userid, chatId: s.chat_id, userId: s.userid, status: s.status, sendTime: s.send_time,
    })),
    nextCursor: r.next_cursor,
  }));

export const messageSend = z
  .object({
    msgid: optStr,
    invaliduser: pipeList,
    invalidparty: pipeList,
    invalidtag: pipeList,
    unlicenseduser: pipeList,
    response_code: optStr,
  })
  .transform((r): T.AppMessageResult => ({
    msgId: r.msgid, invalidUser: r.invaliduser, invalidParty: r.invalidparty, invalidTag: r.invalidtag,
    unlicensedUser: r.unlicenseduser, responseCode: r.response_code,
  }));

/** Members get `userid`; anyone else `openid` / `external_userid` (API.md 4.18). */
export const authUserInfo = z.object({
  userid: optStr,
  user_ticket: optStr,
  openid: optStr,
  external_userid: optStr,
});

export const kfSyncMsg = z
  .object({
    next_cursor: strOrEmpty,
    has_more: int.default(0),
    msg_list: z
      .array(
        z.looseObject({
          msgid: str,
          open_kfid: str,
          external_userid: optStr,
          send_time: seconds,
          origin: int,
          servicer_userid: optStr,
          msgtype: str,
          text: z.object({ content: strOrEmpty }).nullish(),
        }),
      )
      .nullish()
      .transform((v) => v ?? []),
  })
  .transform((r): T.KfSyncResult => ({
    nextCursor: r.next_cursor,
    hasMore: r.has_more === 1,
    msgList: r.msg_list.map(({ msgid, open_kfid, external_userid, send_time, origin, servicer_userid, msgtype, text, ...rest }) => ({
      msgId: msgid, openKfId: open_kfid, externalUserId: external_userid, sendTime: send_time, origin,
      servicerUserId: servicer_userid, msgtype, text: text ?? undefined,
      raw: { msgid, open_kfid, external_userid, send_time: send_time / 1000, origin, servicer_userid, msgtype, text, ...rest },
    })),
  }));

export const userGet = z
  .object({
    userid: str,
    name: strOrEmpty,
    department: z.array(int).nullish().transform((v) => v ?? []),
    main_department: int.nullish().transform((v) => v ?? undefined),
    position: optStr,
    is_leader_in_dept: z.array(int).nullish().transform((v) => v ?? []),
    status: int.nullish().transform((v) => v ?? undefined),
  })
  .transform((u): T.WecomUser => ({
    userId: u.userid, name: u.name, department: u.department, mainDepartment: u.main_department, position: u.position,
    isLeaderInDept: u.is_leader_in_dept, status: u.status,
  }));

export const departmentList = z
  .object({
    department: z
      .array(
        z.object({
          id: int,
          name: strOrEmpty,
          parentid: int.default(0),
          order: int.default(0),
          department_leader: strList,
        }),
      )
      .nullish()
      .transform((v) => v ?? []),
  })
  .transform((r): T.Department[] =>
    r.department.map((d) => ({ id: d.id, name: d.name, parentId: d.parentid, order: d.order, departmentLeader: d.department_leader })),
  );

export const userSimpleList = z
  .object({
    userlist: z
      .array(z.object({ userid: str, name: strOrEmpty, department: z.array(int).nullish().transform((v) => v ?? []), open_userid: optStr }))
      .nullish()
      .transform((v) => v ?? []),
  })
  .transform((r): T.DepartmentMember[] =>
    r.userlist.map((u) => ({ userId: u.userid, name: u.name, department: u.department, openUserId: u.open_userid })),
  );
