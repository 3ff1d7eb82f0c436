import Router from '@koa/router';
import type Koa from 'koa';
import type { Clock } from '../clock';
import type { WecomConfig } from '../config';
import { errorMessage } from '../errors';
import { BodyTooLarge, readBody } from '../http/read-body';
import { urgentUntil, type InboxWriter } from '../inbox/writer';
import type { Log } from '../log';
import type { Metrics } from '../ops/metrics';
import { extractEncrypt } from './envelope';
import { dedupeKey, orderKey, toWecomEvent } from './events';
import { CallbackRefused, checkFreshness, decryptFor, readSignedQuery, verifySignature } from './verify';
import { parseWecomXml } from './xml';

export interface CallbackDeps {
  wecom: WecomConfig;
  limits: { maxBodyBytes: number; maxClockSkewSeconds: number };
  writer: InboxWriter;
  clock: Clock;
  metrics: Metrics;
}

/**
 * GET answers WeCom's URL verification; POST verifies, decrypts and stores the event in the
 * inbox, then acknowledges with an empty 200 (API.md 1.1–1.7). Processing happens later.
 */
export function callbackRoutes(deps: CallbackDeps): Router {
  const router = new Router();
  router.get('/wecom/callback', async (ctx) => {
    await refuseOnError(ctx, deps, async () => {
      const q = readSignedQuery(ctx.query);
      const echostr = typeof ctx.query.echostr === 'string' ? ctx.query.echostr : '';
      if (!echostr) throw new CallbackRefused('missing_params', 'echostr is missing');
      verifySignature(deps.wecom.callbackToken, q, echostr);
      checkFreshness(q, deps.clock().getTime(), deps.limits.maxClockSkewSeconds);
      const plain = decryptFor(deps.wecom.callbackAesKey, deps.wecom.corpId, echostr);
      deps.metrics.callbacks.inc({ outcome: 'verified' });
      log(ctx).info('callback URL verified by WeCom');
      ctx.type = 'text/plain';
      ctx.body = plain;
    });
  });

  router.post('/wecom/callback', async (ctx) => {
    await refuseOnError(ctx, deps, async () => {
      const q = readSignedQuery(ctx.query);
      let body: string;
      try {
        body = await readBody(ctx, deps.limits.maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLarge) throw new CallbackRefused('too_large', `limit ${deps.limits.maxBodyBytes} bytes`);
        throw err;
      }
      // Signature before any parsing: an unsigned body must cost almost nothing.
      const encrypt = extractEncrypt(body);
      verifySignature(deps.wecom.callbackToken, q, encrypt);
      checkFreshness(q, deps.clock().getTime(), deps.limits.maxClockSkewSeconds);
      const plaintext = decryptFor(deps.wecom.callbackAesKey, deps.wecom.corpId, encrypt);
      const fields = parseWecomXml(plaintext);
      const event = toWecomEvent(fields);
      const key = dedupeKey(fields, encrypt);
      const receivedAt = deps.clock().getTime();
      let outcome;
      try {
        outcome = await deps.writer.append({
          dedupeKey: key,
          kind: event.type,
          orderKey: orderKey(event),
          payload: plaintext,
          eventTime: event.at,
          receivedAt,
          urgentUntil: urgentUntil(event, receivedAt),
        });
      } catch (err) {
        // Not acknowledging makes WeCom deliver it again, so nothing is lost.
        deps.metrics.callbacks.inc({ outcome: 'store_failed' });
        log(ctx).error({ kind: event.type, err: errorMessage(err) },
          'callback not stored: database unavailable; answered 503 so WeCom retries it');
        ctx.status = 503;
        ctx.body = 'temporarily unavailable';
        return;
      }
      deps.metrics.callbacks.inc({ outcome });
      log(ctx).info({ kind: event.type, dedupeKey: key, outcome }, outcome === 'stored' ? 'callback stored' : 'callback duplicate acknowledged');
      ctx.status = 200;
      ctx.body = '';
    });
  });
  return router;
}

async function refuseOnError(ctx: Koa.Context, deps: CallbackDeps, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof CallbackRefused)) throw err;
    deps.metrics.callbacks.inc({ outcome: err.reason });
    log(ctx).warn({ reason: err.reason, ip: ctx.ip }, `callback refused: ${err.message}`);
    ctx.status = err.status;
    ctx.type = 'text/plain';
    ctx.body = `refused: ${err.reason}`;
  }
}

function log(ctx: Koa.Context): Log {
  return ctx.state.log;
}
