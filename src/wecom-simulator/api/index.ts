import type Koa from 'koa';
import type { Log } from '../../log';
import type { Fault } from '../platform';
import { ApiFault, Endpoint, SimContext } from './context';
import { contactEndpoints } from './contacts';
import { groupEndpoints } from './groups';
import { identityEndpoints } from './identity';
import { massEndpoints } from './mass';
import { mediaEndpoints } from './media';
import { messageEndpoints } from './messages';

export const endpoints: Record<string, Endpoint> = {
  ...identityEndpoints,
  ...contactEndpoints,
  ...groupEndpoints,
  ...massEndpoints,
  ...messageEndpoints,
  ...mediaEndpoints,
};

const MAX_BODY = 2 * 1024 * 1024;
/** media/upload takes files up to 20 MB (plus the multipart envelope). */
const MAX_UPLOAD = 21 * 1024 * 1024;

/** What the simulator answers one call with; null when the connection was dropped instead. */
interface Answer {
  status: number;
  errcode: number | null;
  body: unknown;
  type?: string;
}

/**
 * /cgi-bin/* as WeCom answers it: HTTP 200 with errcode/errmsg. In order: injected fault,
 * method, access token, frequency window, JSON body, the endpoint, then any fault injected to
 * strike after the work is done (afterAction). Every call is logged.
 */
export function apiMiddleware(sim: SimContext, log?: Log): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/cgi-bin/')) return next();
    const endpoint = ctx.path.slice('/cgi-bin/'.length);
    let answer: Answer | null = null;
    let dropped = false;
    try {
      const fault = sim.platform.takeFault(endpoint);
      if (fault && !fault.afterAction) {
        if (fault.kind === 'latency') await sim.platform.hold(endpoint, fault.latencyMs ?? 1000);
        else {
          answer = misbehave(ctx, { ...fault, kind: fault.kind });
          dropped = answer === null;
          return;
        }
      }
      answer = await perform(sim, ctx, endpoint, log);
      if (fault?.afterAction) {
        if (fault.kind === 'latency') await sim.platform.hold(endpoint, fault.latencyMs ?? 1000, hungUp(ctx));
        else {
          answer = misbehave(ctx, { ...fault, kind: fault.kind });
          dropped = answer === null;
        }
      }
    } finally {
      if (answer) {
        ctx.status = answer.status;
        if (answer.type) ctx.type = answer.type;
        ctx.body = answer.body;
      }
      sim.platform.record({ endpoint, at: sim.now(), errcode: answer?.errcode ?? null, status: dropped ? 0 : answer?.status ?? 500 });
    }
  };
}

/** The endpoint itself: its answer, or an errcode answer when it refuses. */
async function perform(sim: SimContext, ctx: Koa.Context, endpoint: string, log?: Log): Promise<Answer> {
  const spec = endpoints[endpoint];
  if (!spec) return { status: 404, errcode: null, body: `not a simulated WeCom API: ${endpoint}` };
  try {
    if (ctx.method !== spec.method) throw new ApiFault(spec.method === 'POST' ? 43002 : 43001, `require ${spec.method} method`);
    const query = flatQuery(ctx.query);
    if (spec.authenticated !== false) {
      const code = sim.platform.checkToken(query.access_token);
      if (code !== 0) throw new ApiFault(code, code === 42001 ? 'access_token expired' : code === 41001 ? 'access_token missing' : 'invalid access_token');
    }
    if (!sim.platform.admit(endpoint, sim.platform.rule(endpoint))) throw new ApiFault(45009, 'api freq out of limit');
    const raw = spec.raw ? { contentType: ctx.get('Content-Type'), data: await readRaw(ctx, MAX_UPLOAD) } : undefined;
    const body = spec.method === 'POST' && !raw ? await readJson(ctx) : {};
    const result = await spec.handle(sim, { query, body, raw });
    return { status: 200, errcode: 0, body: { errcode: 0, errmsg: 'ok', ...result } };
  } catch (err) {
    if (!(err instanceof ApiFault)) {
      log?.error({ endpoint, err: (err as Error).message }, 'simulator endpoint failed');
      throw err;
    }
    return { status: 200, errcode: err.errcode, body: { errcode: err.errcode, errmsg: err.errmsg } };
  }
}

/** A fault's answer instead of the real one; null for a dropped connection. */
function misbehave(ctx: Koa.Context, fault: Fault & { kind: Exclude<Fault['kind'], 'latency'> }): Answer | null {
  switch (fault.kind) {
    case 'drop':
      ctx.req.socket.destroy();
      ctx.respond = false;
      return null;
    case 'http':
      return { status: fault.status ?? 502, errcode: null, type: 'text/html', body: '<html><body>simulated gateway error</body></html>' };
    case 'body':
      return { status: 200, errcode: 0, body: fault.body ?? {} };
    case 'errcode': {
      const errcode = fault.errcode ?? -1;
      return { status: 200, errcode, body: { errcode, errmsg: 'simulated fault' } };
    }
  }
}

/** Settles when the caller hangs up before the answer is written. */
function hungUp(ctx: Koa.Context): Promise<void> {
  return new Promise((resolve) => {
    if (ctx.res.destroyed || ctx.req.socket.destroyed) return resolve();
    ctx.res.once('close', () => resolve());
  });
}

function flatQuery(q: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

async function readRaw(ctx: Koa.Context, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiFault(44002, 'empty post data or too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJson(ctx: Koa.Context): Promise<Record<string, unknown>> {
  const text = (await readRaw(ctx, MAX_BODY)).toString('utf8');
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiFault(47001, 'data format error, hint: Warning: wrong json format.');
}
