import { Writable } from 'node:stream';
import { createLogger, Log } from '../../src/log';

export interface CapturedLog {
  log: Log;
  lines(): Record<string, unknown>[];
  /** Lines whose msg contains the text. */
  find(text: string): Record<string, unknown>[];
  /** Everything written, raw (to assert that secrets never appear). */
  raw(): string;
}

/** A real pino logger whose JSON lines are kept in memory for assertions. */
export function captureLog(level = 'debug'): CapturedLog {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger(level, stream as never);
  const lines = () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    log,
    lines,
    find: (text) => lines().filter((l) => String(l.msg ?? '').includes(text)),
    raw: () => chunks.join(''),
  };
}
