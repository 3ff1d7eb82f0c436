import type Koa from 'koa';
import type { Log } from '../../log';
import { ApiFault, Endpoint, SimContext } from './context';
import { contactEndpoints } from './contacts';
import { groupEndpoints } from './groups';
import { identityEndpoints } from './identity';
import { massEndpoints } from './mass';
import { messageEndpoints } from './messages';

export const endpoints: Record<string, Endpoint> = {
  ...identityEndpoints,
  ...contactEndpoints,
  ...groupEndpoints,
  ...massEndpoints,
  ...messageEndpoints,
};

const MAX_BODY = 2 * 1024 * 1024;

/**
 * /cgi-bin/* as WeCom answers it: HTTP 200 with errcode/errmsg. In order: injected fault,
 * method, access token, frequency window, JSON body, the endpoint. Every call is logged.
 */
export function apiMiddleware(sim: SimContext, log?: Log): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/cgi-bin/')) return next();
    const endpoint = ctx.path.slice('/cgi-bin/'.length);
    let errcode: number | null = null;
    try {
      const fault = sim.platform.takeFault(endpoint);
      if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.latencyMs ?? 1000));
      if (fault?.kind === 'drop') {
        ctx.req.socket.destroy();
        ctx.respond = false;
        return;
      }
      if (fault?.kind === 'http') {
        ctx.status = fault.status ?? 502;
        ctx.type = 'text/html';
        ctx.body = '<html><body>simulated gateway error</body></html>';
        return;
      }
      if (fault?.kind === 'body') {
        errcode = 0;
        ctx.body = fault.body ?? {};
        return;
      }
      if (fault?.kind === 'errcode') throw new ApiFault(fault.errcode ?? -1, 'simulated fault');

      const spec = endpoints[endpoint];
      if (!spec) {
        ctx.status = 404;
        ctx.body = `not a simulated WeCom API: ${endpoint}`;
        return;
      }
      if (ctx.method !== spec.method) throw new ApiFault(spec.method === 'POST' ? 43002 : 43001, `require ${spec.method} method`);
      const query = flatQuery(ctx.query);
      if (spec.authenticated !== false) {
        const code = sim.platform.checkToken(query.access_token);
        if (code !== 0) throw new ApiFault(code, code === 42001 ? 'access_token expired' : code === 41001 ? 'access_token missing' : 'invalid access_token');
      }
      if (!sim.platform.admit(endpoint, sim.platform.rule(endpoint))) throw new ApiFault(45009, 'api freq out of limit');
      const body = spec.method === 'POST' ? await readJson(ctx) : {};
      const result = await spec.handle(sim, { query, body });
      errcode = 0;
      ctx.body = { errcode: 0, errmsg: 'ok', ...result };
    } catch (err) {
      if (!(err instanceof ApiFault)) {
        log?.error({ endpoint, err: (err as Error).message }, 'simulator endpoint failed');
        throw err;
      }
      errcode = err.errcode;
      ctx.body = { errcode: err.errcode, errmsg: err.errmsg };
    } finally {
      sim.platform.record({ endpoint, at: sim.now(), errcode, status: ctx.status });
    }
  };
}

function flatQuery(q: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

async function readJson(ctx: Koa.Context): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiFault(44002, 'empty post data or too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiFault(47001, 'data format error, hint: Warning: wrong json format.');
}
