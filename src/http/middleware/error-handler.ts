import type Koa from 'koa';
import { AppError } from '../../errors';
import type { Log } from '../../log';

/**
 * Maps any error to `{ code, message, requestId }`. Client errors keep their message; server
 * errors are logged once with detail and answered with a generic sentence.
 */
export function errorHandler(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const log: Log = ctx.state.log;
      const requestId: string = ctx.state.reqId;
      if (err instanceof AppError) {
        ctx.status = err.status;
        ctx.body = { code: err.code, message: err.message, requestId, details: err.options.details };
        if (err.status >= 500) log.error({ code: err.code, err: err.message }, 'request failed');
        return;
      }
      const status = (err as { status?: number; expose?: boolean }).status;
      if (status && status < 500) {
        ctx.status = status;
        ctx.body = { code: 'BAD_REQUEST', message: (err as Error).message, requestId };
        return;
      }
      log.error({ err }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { code: 'INTERNAL', message: 'Internal error; the server log has details under this requestId', requestId };
    }
  };
}
