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
      log.error({ err: loggable(err) }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { code: 'INTERNAL', message: 'Internal error; the server log has details under this requestId', requestId };
    }
  };
}

/**
 * What of an unexpected error goes to the log: its kind, driver code and stack, never the values.
 * A failed query carries its SQL with the parameters inlined (customer ids, mobiles, message
 * text), and the driver quotes the offending value in its message ("Duplicate entry '138…'").
 */
export function loggable(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown; errno?: unknown; sqlState?: unknown; query?: unknown; parameters?: unknown };
  const fromDatabase = e.query !== undefined || e.parameters !== undefined || /^(ER_|SQLITE_)/.test(String(e.code ?? ''));
  if (!fromDatabase) return { type: e.name, message: e.message.slice(0, 500), stack: e.stack };
  const message = e.message.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "'…'").slice(0, 500);
  const stack = (e.stack ?? '').split('\n').slice(1, 12).join('\n');
  return { type: e.name, message, code: e.code, errno: e.errno, sqlState: e.sqlState, stack };
}
