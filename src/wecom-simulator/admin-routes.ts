import Router from '@koa/router';
import type Koa from 'koa';
import type { SimulatorAdmin } from './admin';
import type { RandomEmitter } from './emitter';
import { Fault, FAULT_KINDS } from './platform';
import { DELIVERY_KINDS, DeliveryKind } from './state';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The simulator's admin API (JSON, under /__admin). Change routes answer with the callback
 * delivery they started; pass "wait": true to answer only once it has been delivered.
 */
export function adminRoutes(admin: SimulatorAdmin, emitter: RandomEmitter): Router {
  const r = new Router({ prefix: '/__admin' });
  const change = (path: string, fn: (b: Body, params: Record<string, string>) => unknown) =>
    r.post(path, async (ctx) => {
      const b = await readJson(ctx);
      const result = fn(b, ctx.params as Record<string, string>);
      if (b.wait) await admin.flushCallbacks();
      ctx.body = result ?? { ok: true };
    });

  r.get('/state', (ctx) => (ctx.body = admin.summary()));
  r.get('/seed', (ctx) => (ctx.body = admin.exportSeed()));
  r.get('/reps', (ctx) => (ctx.body = admin.reps()));
  r.get('/customers/:id', (ctx) => {
    const c = admin.customer(ctx.params.id);
    if (!c) return ctx.throw(404, `no customer ${ctx.params.id}`);
    ctx.body = c;
  });
  r.get('/calls', (ctx) => (ctx.body = admin.calls()));
  r.delete('/calls', (ctx) => {
    admin.resetCalls();
    ctx.body = { ok: true };
  });
  r.get('/msg-templates', (ctx) => (ctx.body = admin.msgTemplates()));
  r.post('/msg-templates/:msgId/confirm', async (ctx) => {
    const b = await readJson(ctx);
    ctx.body = admin.confirmMsgTemplate(ctx.params.msgId, b.userId);
  });
  r.post('/members/:userId/mass-confirm', async (ctx) => {
    const b = await readJson(ctx);
    admin.setMassConfirmMode(ctx.params.userId, b.mode === null || b.mode === undefined ? null : { mode: b.mode, delayMs: Number(b.delayMs ?? 0) } as never);
    ctx.body = { ok: true };
  });
  r.post('/mass-quota', async (ctx) => {
    admin.setMassQuota((await readJson(ctx)).quota);
    ctx.body = { ok: true };
  });
  r.get('/app-messages', (ctx) => (ctx.body = admin.appMessages()));
  r.get('/template-cards', (ctx) => (ctx.body = admin.templateCards()));
  r.get('/welcome-messages', (ctx) => (ctx.body = admin.welcomeMessages()));
  r.get('/webhook-messages', (ctx) => (ctx.body = admin.webhookMessages()));
  r.get('/ledger', (ctx) => {
    const kind = typeof ctx.query.kind === 'string' ? ctx.query.kind : undefined;
    if (kind && !DELIVERY_KINDS.includes(kind as DeliveryKind)) return ctx.throw(400, `kind must be one of ${DELIVERY_KINDS.join(', ')}`);
    const after = ctx.query.after === undefined ? 0 : Number(ctx.query.after);
    if (!Number.isInteger(after) || after < 0) return ctx.throw(400, 'after must be a delivery seq (a whole number)');
    ctx.body = admin.ledger({ kind: kind as DeliveryKind | undefined, after });
  });

  change('/contacts', (b) => admin.addContact(b as never));
  change('/contacts/edit', (b) => admin.editContact(b as never));
  change('/contacts/deleted-by-customer', (b) => admin.customerDeletesRep(b as never));
  change('/contacts/deleted-by-rep', (b) => admin.repDeletesCustomer(b as never));
  change('/contacts/transfer-fail', (b) => admin.transferFail(b as never));
  change('/group-chats', (b) => admin.createGroupChat(b as never));
  change('/group-chats/:chatId/join', (b, p) => admin.joinGroupChat({ ...b, chatId: p.chatId } as never));
  change('/group-chats/:chatId/leave', (b, p) => admin.leaveGroupChat({ ...b, chatId: p.chatId } as never));
  change('/group-chats/:chatId/rename', (b, p) => admin.renameGroupChat({ ...b, chatId: p.chatId } as never));
  change('/group-chats/:chatId/dismiss', (b, p) => admin.dismissGroupChat({ ...b, chatId: p.chatId }));
  change('/tags', (b) => admin.createTag(b as never));
  change('/tags/:tagId/update', (b, p) => admin.updateTag({ ...b, tagId: p.tagId } as never));
  change('/tags/:tagId/delete', (b, p) => admin.deleteTag({ ...b, tagId: p.tagId }));
  change('/members/:userId/app-message', (b, p) => admin.appMessage({ ...b, userId: p.userId } as never));
  change('/members/:userId/enter-agent', (b, p) => admin.enterAgent({ ...b, userId: p.userId }));
  change('/members/:userId/card-tap', (b, p) => admin.tapCard({ ...b, userId: p.userId } as never));
  change('/kf/messages', (b) => admin.kfCustomerMessage(b as never));
  change('/random-event', () => emitter.emitOne());

  r.post('/oauth/codes', async (ctx) => {
    ctx.body = { code: admin.issueOAuthCode((await readJson(ctx)) as never) };
  });
  r.get('/faults', (ctx) => (ctx.body = admin.faults()));
  r.post('/faults', async (ctx) => {
    const b = await readJson(ctx);
    if (!b.endpoint || !FAULT_KINDS.includes(b.kind)) return ctx.throw(400, `need endpoint and kind (${FAULT_KINDS.join('|')})`);
    if (b.afterAction !== undefined && typeof b.afterAction !== 'boolean') return ctx.throw(400, 'afterAction must be true or false');
    admin.injectFault({ count: 1, ...b } as Fault);
    ctx.body = { ok: true };
  });
  r.post('/faults/release', (ctx) => (ctx.body = { released: admin.releaseHeld() }));
  r.delete('/faults', (ctx) => {
    admin.clearFaults();
    ctx.body = { ok: true };
  });
  r.post('/rate-limits', async (ctx) => {
    const b = await readJson(ctx);
    if (!b.endpoint) return ctx.throw(400, 'need endpoint');
    admin.setRateLimit(b.endpoint, b.limit === null || b.limit === undefined ? null : { limit: Number(b.limit), windowMs: Number(b.windowMs ?? 60_000) });
    ctx.body = { ok: true };
  });
  r.post('/tokens/expire', (ctx) => (ctx.body = { expired: admin.expireTokens() }));
  r.post('/tokens/revoke', (ctx) => {
    admin.revokeTokens();
    ctx.body = { ok: true };
  });
  r.post('/tickets/expire', (ctx) => {
    admin.expireTickets();
    ctx.body = { ok: true };
  });
  r.get('/tickets', (ctx) => (ctx.body = { jsapi: admin.currentTicket('jsapi'), agentConfig: admin.currentTicket('agent_config') }));
  r.post('/jsapi/verify', async (ctx) => {
    ctx.body = { valid: admin.verifyJsapiSignature((await readJson(ctx)) as never) };
  });
  r.post('/clock/advance', async (ctx) => {
    admin.advanceTime(Number((await readJson(ctx)).ms ?? 0));
    ctx.body = admin.summary();
  });

  r.get('/callbacks', (ctx) => (ctx.body = admin.deliveries()));
  r.post('/callbacks/config', async (ctx) => {
    ctx.body = admin.configureCallbacks(await readJson(ctx));
  });
  r.post('/callbacks/hold', (ctx) => {
    admin.holdCallbacks();
    ctx.body = { ok: true };
  });
  r.post('/callbacks/release', async (ctx) => {
    ctx.body = { released: admin.releaseCallbacks((await readJson(ctx)).order ?? 'fifo') };
  });
  r.post('/callbacks/flush', async (ctx) => {
    await admin.flushCallbacks();
    ctx.body = { ok: true };
  });
  r.post('/callbacks/verify-url', async (ctx) => {
    ctx.body = await admin.verifyCallbackUrl();
  });
  return r;
}

/** Admin errors are the caller's mistake: answer 400 with the reason. */
export function adminErrors(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; message: string };
      ctx.status = e.status && e.status < 500 ? e.status : 400;
      ctx.body = { error: e.message };
    }
  };
}

async function readJson(ctx: Koa.Context): Promise<Body> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as Body;
  } catch {
    return ctx.throw(400, 'body is not JSON');
  }
}
