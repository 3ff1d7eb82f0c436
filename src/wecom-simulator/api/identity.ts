import { OAUTH_CODE_TTL_MS } from '../platform';
import { ApiFault, Endpoint, requireString } from './context';

/** gettoken, JS-SDK tickets, OAuth code exchange, members and departments (API.md 4.1, 4.16, 4.18). */
export const identityEndpoints: Record<string, Endpoint> = {
  gettoken: {
    method: 'GET',
    authenticated: false,
    handle(ctx, { query }) {
      if (!query.corpid) throw new ApiFault(41002, 'corpid missing');
      if (query.corpid !== ctx.corpId) throw new ApiFault(40013, 'invalid corpid');
      if (!query.corpsecret) throw new ApiFault(41004, 'corpsecret missing');
      if (query.corpsecret !== ctx.secret) throw new ApiFault(40001, 'invalid credential');
      const t = ctx.platform.issueToken();
      return { access_token: t.token, expires_in: t.expiresIn };
    },
  },

  get_jsapi_ticket: {
    method: 'GET',
    handle(ctx) {
      const t = ctx.platform.issueTicket('jsapi');
      return { ticket: t.ticket, expires_in: t.expiresIn };
    },
  },

  'ticket/get': {
    method: 'GET',
    handle(ctx, { query }) {
      if (query.type !== 'agent_config') throw new ApiFault(40058, 'invalid type: only agent_config is supported');
      const t = ctx.platform.issueTicket('agent_config');
      return { ticket: t.ticket, expires_in: t.expiresIn };
    },
  },

  /** Codes are single-use and live 5 minutes; members get userid, others openid/external_userid. */
  'auth/getuserinfo': {
    method: 'GET',
    handle(ctx, { query }) {
      const code = requireString(query.code, 'code');
      const c = ctx.platform.oauthCodes.get(code);
      if (!c || c.used || ctx.now() - c.issuedAt > OAUTH_CODE_TTL_MS) throw new ApiFault(40029, 'invalid code');
      c.used = true;
      if (c.userId) return { userid: c.userId, user_ticket: 'sim_ticket_' + code };
      return { openid: c.openId, ...(c.externalUserId ? { external_userid: c.externalUserId } : {}) };
    },
  },

  'user/get': {
    method: 'GET',
    handle(ctx, { query }) {
      const u = ctx.state.users.get(requireString(query.userid, 'userid'));
      if (!u) throw new ApiFault(60111, 'userid not found');
      return {
        userid: u.userId, name: u.name, department: u.departments, main_department: u.mainDepartment, position: u.position,
        gender: String(u.gender), status: 1,
        is_leader_in_dept: u.departments.map((d) => (ctx.state.departments.get(d)?.leaders.includes(u.userId) ? 1 : 0)),
      };
    },
  },

  'department/list': {
    method: 'GET',
    handle(ctx, { query }) {
      let depts = [...ctx.state.departments.values()];
      if (query.id) {
        const root = Number(query.id);
        if (!ctx.state.departments.has(root)) throw new ApiFault(60123, 'invalid party id');
        const keep = new Set([root]);
        for (let grew = true; grew; ) {
          grew = false;
          for (const d of depts) if (!keep.has(d.id) && keep.has(d.parentId)) keep.add(d.id), (grew = true);
        }
        depts = depts.filter((d) => keep.has(d.id));
      }
      return { department: depts.map((d) => ({ id: d.id, name: d.name, parentid: d.parentId, order: d.order, department_leader: d.leaders })) };
    },
  },

  /** Members directly in the department (fetch_child is deprecated and ignored, as in WeCom). */
  'user/simplelist': {
    method: 'GET',
    handle(ctx, { query }) {
      const id = Number(requireString(query.department_id, 'department_id'));
      if (!ctx.state.departments.has(id)) throw new ApiFault(60123, 'invalid party id');
      const userlist = [...ctx.state.users.values()]
        .filter((u) => u.departments.includes(id))
        .map((u) => ({ userid: u.userId, name: u.name, department: u.departments, open_userid: 'wo' + u.userId }));
      return { userlist };
    },
  },
};
