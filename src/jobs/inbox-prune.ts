import type { Job } from './job';

const KEEP_DAYS = 30;

/**
 * Processed inbox rows are only needed to recognise WeCom's retries (minutes) and for
 * troubleshooting; the typed record stays in wecom_events. Dead rows are never pruned.
 */
export const inboxPrune: Job = {
  name: 'inbox-prune',
  description: `Delete processed inbox events older than ${KEEP_DAYS} days (dead events are kept)`,
  schedule: '30 3 * * *',
  async run({ now, services }) {
    const removed = await services.inbox.pruneDone(now.getTime() - KEEP_DAYS * 86_400_000);
    return { removed };
  },
};
