import { createHash, randomBytes } from 'node:crypto';
import { ApiFault, decodeCursor, encodeCursor, Endpoint, invalidParam, pageLimit, requireString } from './context';

const KF_TOKEN_TTL_MS = 10 * 60_000;
const APP_MSGTYPES = new Set(['text', 'textcard', 'markdown', 'template_card', 'news', 'mpnews', 'image', 'file', 'video', 'voice', 'miniprogram_notice']);

/** App messages to members, group robots and WeChat KF (API.md 4.14, 4.15, 6.2). */
export const messageEndpoints: Record<string, Endpoint> = {
  'message/send': {
    method: 'POST',
    handle(ctx, { body }) {
      if (Number(body.agentid) !== ctx.agentId) throw new ApiFault(40056, 'invalid agentid');
      const msgtype = requireString(body.msgtype, 'msgtype');
      if (!APP_MSGTYPES.has(msgtype) || typeof body[msgtype] !== 'object') throw invalidParam(`msgtype ${msgtype} needs a ${msgtype} object`);
      const content = (body[msgtype] as { content?: unknown }).content;
      if ((msgtype === 'text' || msgtype === 'markdown') && (typeof content !== 'string' || Buffer.byteLength(content) > 2048)) {
        throw new ApiFault(45002, 'content size out of limit');
      }
      const requested = typeof body.touser === 'string' ? body.touser.split('|').filter(Boolean) : [];
      const users = requested.includes('@all') ? [...ctx.state.users.keys()] : requested;
      if (users.length > 1000) throw invalidParam('touser holds at most 1000 userids');
      const valid = users.filter((u) => ctx.state.users.has(u));
      const invalid = users.filter((u) => !ctx.state.users.has(u));
      if (valid.length === 0) throw new ApiFault(81013, 'user & party & tag all invalid');
      // Per member: ≤30 messages a minute from one app (API.md 4.14).
      const rule = ctx.platform.rule('message/send:member');
      for (const u of valid) if (!ctx.platform.admit(`message/send:member:${u}`, rule)) throw new ApiFault(45009, 'api freq out of limit');
      const msgid = randomBytes(12).toString('base64url');
      const interval = Number(body.duplicate_check_interval ?? 1800) * 1000;
      const duplicate = Number(body.enable_duplicate_check ?? 0) === 1 && ctx.state.appMessages.some(
        (m) => m.fingerprint === fingerprint(body) && ctx.now() - Number(m.at) < interval,
      );
      ctx.state.appMessages.push({ msgid, touser: valid, msgtype, body, at: ctx.now(), duplicate, fingerprint: fingerprint(body) });
      return { invaliduser: invalid.join('|'), invalidparty: '', invalidtag: '', unlicenseduser: '', msgid };
    },
  },

  /** 20 messages a minute per robot (API.md 4.15). */
  'webhook/send': {
    method: 'POST',
    authenticated: false,
    handle(ctx, { query, body }) {
      const key = query.key;
      if (!key) throw new ApiFault(93000, 'invalid webhook url');
      const msgtype = requireString(body.msgtype, 'msgtype');
      const content = (body[msgtype] as { content?: unknown } | undefined)?.content;
      const max = msgtype === 'markdown' ? 4096 : 2048;
      if ((msgtype === 'text' || msgtype === 'markdown') && (typeof content !== 'string' || Buffer.byteLength(content) > max)) {
        throw new ApiFault(40058, `${msgtype}.content is missing or longer than ${max} bytes`);
      }
      const robot = createHash('sha256').update(key).digest('hex').slice(0, 12);
      if (!ctx.platform.admit(`webhook/send:robot:${robot}`, ctx.platform.rule('webhook/send:robot'))) throw new ApiFault(45009, 'api freq out of limit');
      ctx.state.webhookMessages.push({ robot, body, at: ctx.now() });
      return {};
    },
  },

  'kf/sync_msg': {
    method: 'POST',
    handle(ctx, { body }) {
      const openKfId = requireString(body.open_kfid, 'open_kfid');
      if (!ctx.state.kfAccounts.some((a) => a.openKfId === openKfId)) throw new ApiFault(95000, 'invalid open_kfid');
      if (typeof body.token === 'string' && body.token) {
        const issued = ctx.platform.kfTokens.get(body.token);
        if (issued === undefined || ctx.now() - issued > KF_TOKEN_TTL_MS) throw new ApiFault(95007, 'invalid msg token');
      }
      const limit = pageLimit(body.limit, 1000, 1000);
      const [offset] = decodeCursor(body.cursor, 1);
      const all = ctx.state.kfMessages.filter((m) => m.openKfId === openKfId);
      const page = all.slice(offset, offset + limit);
      const end = offset + page.length;
      return {
        next_cursor: encodeCursor([end]),
        has_more: end < all.length ? 1 : 0,
        msg_list: page.map((m) => ({
          msgid: m.msgid, open_kfid: m.openKfId, external_userid: m.externalUserId, send_time: m.sendTime, origin: m.origin,
          ...(m.servicerUserId ? { servicer_userid: m.servicerUserId } : {}), msgtype: m.msgtype, text: m.text,
        })),
      };
    },
  },
};

function fingerprint(body: Record<string, unknown>): string {
  const { enable_duplicate_check: _a, duplicate_check_interval: _b, ...rest } = body;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}
