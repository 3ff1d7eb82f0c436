import { LATE_COMMIT_MARGIN_MS, readCursor, writeCursor } from '../contacts/cursors';
import type { Job } from '../jobs/job';
import { countTierInputChanges } from './tier-repository';

/** Every customer, nightly: tiers drift with time (recency, windows) even when no data changes. */
export const tiersRecompute: Job = {
  name: 'tiers-recompute',
  description: 'Recompute every customer\'s tier and lifecycle stage (tier changes go to history)',
  schedule: '30 1 * * *',
  catchUp: true,
  async run({ now, services, progress }) {
    return services.judgement.tiers.recomputeAll(now, 'nightly', (done, total) => progress(done, total, 'customers'));
  },
};

const REFRESH_CURSOR = 'tiers-refresh';

/** Where the last refresh stopped, and what it saw in its last margin (to spot rows that came later). */
interface RefreshCursor {
  until: number;
  /** Rows per customer stamped in (until - margin, until] when that run read them. */
  tail: Record<string, number>;
}

/**
 * Customers whose data changed since the last run (orders, messages, follows and tags, touches,
 * complaints, overrides), recomputed within minutes of the change.
 *
 * A stamp is taken before commit (and by another instance's clock), so a row stamped before the
 * last run may only become visible after it: a cursor that skipped straight to the last run's
 * `until` would never see it. Each run therefore re-reads the rows stamped in the last
 * LATE_COMMIT_MARGIN_MS before the previous `until` too, and compares, per customer, how many it
 * finds with how many the previous run found there: a customer with more (a late commit) is
 * recomputed along with those stamped after `until`. Recomputing is idempotent (history only on a
 * change), so a customer recomputed again is harmless; counting keeps it from happening every run.
 */
export const tiersRefresh: Job = {
  name: 'tiers-refresh',
  description: 'Recompute tiers of customers whose orders, messages, follows, touches or complaints changed',
  schedule: '*/5 * * * *',
  async run({ now, services }) {
    const { db } = services;
    const saved = await readCursor<RefreshCursor | number>(db, REFRESH_CURSOR);
    // A number is an older release's cursor: its tail is unknown, so every customer in it is checked.
    const prev: RefreshCursor | null = typeof saved === 'number' ? { until: saved, tail: {} } : saved;
    const until = now.getTime();
    const since = prev ? prev.until - LATE_COMMIT_MARGIN_MS : -1;
    // Going back in time (a manual --now) re-reads more; nothing read before can be told apart then.
    const prevUntil = prev && prev.until <= until ? prev.until : since;
    const tailFrom = until - LATE_COMMIT_MARGIN_MS;
    const changes = await countTierInputChanges(db, { since, until, freshAfter: prevUntil, tailFrom });
    const ids: string[] = [];
    const tail: Record<string, number> = {};
    for (const c of changes) {
      const lateCommit = c.oldTail !== (prev?.tail[c.externalUserId] ?? 0);
      if (c.fresh > 0 || lateCommit) ids.push(c.externalUserId);
      if (c.newTail > 0) tail[c.externalUserId] = c.newTail;
    }
    const summary = await services.judgement.tiers.recompute(ids.sort(), now, 'data-changed');
    await writeCursor(db, REFRESH_CURSOR, { until, tail } satisfies RefreshCursor, until);
    return summary;
  },
};

export const complaintScan: Job = {
  name: 'complaint-scan',
  description: 'Suggest complaints from new customer messages by keyword (reps confirm them)',
  schedule: '* * * * *',
  async run({ now, services }) {
    return services.judgement.complaints.scanInbound(now);
  },
};

export const judgementJobs: Job[] = [tiersRecompute, tiersRefresh, complaintScan];
