import { ApiFault, decodeCursor, encodeCursor, Endpoint, pageLimit, requireString } from './context';

/** Customer groups (API.md 4.13). */
export const groupEndpoints: Record<string, Endpoint> = {
  'externalcontact/groupchat/list': {
    method: 'POST',
    handle(ctx, { body }) {
      const status = Number(body.status_filter ?? 0);
      const owners = (body.owner_filter as { userid_list?: unknown } | undefined)?.userid_list;
      const ownerSet = Array.isArray(owners) && owners.length ? new Set(owners as string[]) : null;
      const limit = pageLimit(body.limit, 100, 1000);
      const [offset] = decodeCursor(body.cursor, 1);
      const all = [...ctx.state.groupChats.values()].filter(
        (c) => (status === 0 || c.status === status) && (!ownerSet || ownerSet.has(c.owner)),
      );
      const page = all.slice(offset, offset + limit);
      return {
        group_chat_list: page.map((c) => ({ chat_id: c.chatId, status: c.status })),
        next_cursor: offset + page.length < all.length ? encodeCursor([offset + page.length]) : '',
      };
    },
  },

  'externalcontact/groupchat/get': {
    method: 'POST',
    handle(ctx, { body }) {
      const c = ctx.state.groupChats.get(requireString(body.chat_id, 'chat_id'));
      if (!c) throw new ApiFault(701008, 'chat not found');
      const needName = Number(body.need_name ?? 0) === 1;
      return {
        group_chat: {
          chat_id: c.chatId, name: c.name, owner: c.owner, create_time: c.createTime, notice: c.notice,
          member_list: c.members.map((m) => ({
            userid: m.userId, type: m.type, join_time: m.joinTime, join_scene: m.joinScene,
            ...(m.invitor ? { invitor: { userid: m.invitor } } : {}),
            group_nickname: m.groupNickname ?? '',
            ...(needName ? { name: m.type === 1 ? ctx.state.users.get(m.userId)?.name ?? '' : ctx.state.customers.get(m.userId)?.name ?? '' } : {}),
          })),
          admin_list: c.admins.map((userid) => ({ userid })),
          member_version: c.memberVersion,
        },
      };
    },
  },
};
