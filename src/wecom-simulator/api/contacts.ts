import type { SeedCustomer, SeedFollow } from '../seed';
import type { SimState } from '../state';
import {
  ApiFault, decodeCursor, encodeCursor, Endpoint, invalidParam, pageLimit, requireString, stringList,
} from './context';

/** Customer and follow-relation endpoints (API.md 4.4–4.9). API changes raise no callbacks. */
export const contactEndpoints: Record<string, Endpoint> = {
  'externalcontact/list': {
    method: 'GET',
    handle(ctx, { query }) {
      const userId = requireString(query.userid, 'userid');
      if (!ctx.state.users.has(userId)) throw new ApiFault(60111, 'userid not found');
      const ids = [...(ctx.state.followsByUser.get(userId)?.keys() ?? [])];
      // WeCom answers a member without customers with 84061, not an empty list.
      if (ids.length === 0) throw new ApiFault(84061, 'not external contact');
      return { external_userid: ids };
    },
  },

  /** follow_user is paged (WeCom: 500 per page) with next_cursor. */
  'externalcontact/get': {
    method: 'GET',
    handle(ctx, { query }) {
      const id = requireString(query.external_userid, 'external_userid');
      const c = ctx.state.customers.get(id);
      if (!c) throw new ApiFault(84061, 'not external contact');
      const [offset] = decodeCursor(query.cursor, 1);
      const all = [...(ctx.state.follows.get(id)?.values() ?? [])];
      const page = all.slice(offset, offset + ctx.followUserPageSize);
      const next = offset + page.length < all.length ? encodeCursor([offset + page.length]) : '';
      return {
        external_contact: customerJson(c),
        follow_user: page.map((f) => ({ ...followJson(f), tags: tagsJson(ctx.state, f.tagIds) })),
        next_cursor: next,
      };
    },
  },

  'externalcontact/batch/get_by_user': {
    method: 'POST',
    handle(ctx, { body }) {
      const users = stringList(body.userid_list, 'userid_list');
      if (users.length === 0 || users.length > 100) throw invalidParam('userid_list must hold 1..100 userids');
      const limit = pageLimit(body.limit, 50, 100);
      let [ui, offset] = decodeCursor(body.cursor, 2);
      const out: Record<string, unknown>[] = [];
      while (ui < users.length && out.length < limit) {
        const book = [...(ctx.state.followsByUser.get(users[ui])?.values() ?? [])];
        const take = book.slice(offset, offset + (limit - out.length));
        for (const f of take) {
          const c = ctx.state.customers.get(f.externalUserId);
          if (c) out.push({ external_contact: customerJson(c), follow_info: { ...followJson(f), tag_id: f.tagIds } });
        }
        offset += take.length;
        if (offset >= book.length) {
          ui++;
          offset = 0;
        }
      }
      return { external_contact_list: out, next_cursor: ui < users.length ? encodeCursor([ui, offset]) : '' };
    },
  },

  'externalcontact/get_corp_tag_list': {
    method: 'POST',
    handle(ctx, { body }) {
      const tagIds = new Set(stringList(body.tag_id, 'tag_id'));
      const groupIds = new Set(stringList(body.group_id, 'group_id'));
      const groups = [...ctx.state.tagGroups.values()]
        .filter((g) => groupIds.size === 0 || groupIds.has(g.groupId))
        .map((g) => ({
          group_id: g.groupId, group_name: g.groupName, create_time: g.createTime, order: g.order, deleted: false,
          tag: g.tags
            .filter((t) => tagIds.size === 0 || tagIds.has(t.id))
            .map((t) => ({ id: t.id, name: t.name, create_time: t.createTime, order: t.order, deleted: false })),
        }))
        .filter((g) => tagIds.size === 0 || g.tag.length > 0);
      return { tag_group: groups };
    },
  },

  'externalcontact/mark_tag': {
    method: 'POST',
    handle(ctx, { body }) {
      const f = followOf(ctx.state, body);
      const add = stringList(body.add_tag, 'add_tag');
      const remove = stringList(body.remove_tag, 'remove_tag');
      if (add.length === 0 && remove.length === 0) throw invalidParam('add_tag or remove_tag is required');
      for (const t of [...add, ...remove]) if (!ctx.state.findTag(t)) throw new ApiFault(40068, `invalid tagid: ${t}`);
      f.tagIds = [...new Set([...f.tagIds.filter((t) => !remove.includes(t)), ...add])];
      return {};
    },
  },

  'externalcontact/remark': {
    method: 'POST',
    handle(ctx, { body }) {
      const f = followOf(ctx.state, body);
      if (typeof body.remark === 'string') f.remark = body.remark;
      if (typeof body.description === 'string') f.description = body.description;
      if (typeof body.remark_company === 'string') f.remarkCorpName = body.remark_company;
      if (Array.isArray(body.remark_mobiles)) f.remarkMobiles = stringList(body.remark_mobiles, 'remark_mobiles');
      return {};
    },
  },
};

function followOf(state: SimState, body: Record<string, unknown>): SeedFollow {
  const userId = requireString(body.userid, 'userid');
  const ext = requireString(body.external_userid, 'external_userid');
  const f = state.getFollow(userId, ext);
  if (!f) throw new ApiFault(84061, 'not external contact');
  return f;
}

export function customerJson(c: SeedCustomer): Record<string, unknown> {
  return {
    external_userid: c.externalUserId, name: c.name, type: c.type, gender: c.gender, avatar: c.avatar,
    ...(c.unionId ? { unionid: c.unionId } : {}),
    ...(c.corpName ? { corp_name: c.corpName, corp_full_name: c.corpFullName, position: c.position } : {}),
  };
}

function followJson(f: SeedFollow): Record<string, unknown> {
  return {
    userid: f.userId, remark: f.remark, description: f.description, createtime: f.createTime,
    remark_corp_name: f.remarkCorpName, remark_mobiles: f.remarkMobiles, oper_userid: f.operUserId,
    add_way: f.addWay, ...(f.state ? { state: f.state } : {}),
  };
}

function tagsJson(state: SimState, tagIds: string[]): Record<string, unknown>[] {
  return tagIds.flatMap((id) => {
    const t = state.findTag(id);
    return t ? [{ group_name: t.group.groupName, tag_name: t.tag.name, tag_id: id, type: 1 }] : [];
  });
}
