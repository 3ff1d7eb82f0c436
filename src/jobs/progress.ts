import type { Log } from '../log';
import type { JobContext } from './job';

/** Progress as log lines at most every 5 s (servers, CI, pipes). */
export function logProgress(log: Log): JobContext['progress'] {
  let last = 0;
  return (done, total, label) => {
    const now = Date.now();
    if (done < total && now - last < 5_000) return;
    last = now;
    log.info({ done, total, pct: total ? Math.round((done / total) * 100) : 100 }, label ?? 'progress');
  };
}
