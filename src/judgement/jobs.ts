import { readCursor, writeCursor } from '../contacts/cursors';
import type { Job } from '../jobs/job';

/** Every customer, nightly: tiers drift with time (recency, windows) even when no data changes. */
export const tiersRecompute: Job = {
  name: 'tiers-recompute',
  description: 'Recompute every customer\'s tier and lifecycle stage (tier changes go to history)',
  schedule: '30 1 * * *',
  async run({ now, services, progress }) {
    return services.judgement.tiers.recomputeAll(now, 'nightly', (done, total) => progress(done, total, 'customers'));
  },
};

const REFRESH_CURSOR = 'tiers-refresh';

/**
 * Customers whose data changed since the last run (orders, messages, follows and tags, touches,
 * complaints, overrides), recomputed within minutes of the change.
 */
export const tiersRefresh: Job = {
  name: 'tiers-refresh',
  description: 'Recompute tiers of customers whose orders, messages, follows, touches or complaints changed',
  schedule: '*/5 * * * *',
  async run({ now, services }) {
    const { db } = services;
    const since = (await readCursor<number>(db, REFRESH_CURSOR)) ?? 0;
    const until = now.getTime();
    const rows = await db.query<{ external_user_id: string }>(
      `SELECT external_user_id FROM orders WHERE updated_at > ? AND updated_at <= ? AND external_user_id IS NOT NULL
       UNION SELECT external_user_id FROM messages WHERE created_at > ? AND created_at <= ? AND external_user_id IS NOT NULL
       UNION SELECT external_user_id FROM follows WHERE updated_at > ? AND updated_at <= ?
       UNION SELECT external_user_id FROM touches WHERE created_at > ? AND created_at <= ?
       UNION SELECT external_user_id FROM complaints WHERE updated_at > ? AND updated_at <= ?
       UNION SELECT external_user_id FROM tier_overrides WHERE set_at > ? AND set_at <= ?`,
      Array.from({ length: 6 }, () => [since, until]).flat());
    const ids = rows.map((r) => r.external_user_id);
    const summary = await services.judgement.tiers.recompute(ids, now, 'data-changed');
    await writeCursor(db, REFRESH_CURSOR, until, until);
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
