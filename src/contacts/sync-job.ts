import type { Job } from '../jobs/job';
import { reconcileCustomerData } from './reconcile';
import { customerDataWecom } from './register';

/**
 * Nightly full reconcile with WeCom (callbacks can be lost). Resumable: an interrupted run
 * continues from its saved position the next time it runs (scheduled or
 * `npx fencun jobs run contacts-sync`).
 */
export const contactsSync: Job = {
  name: 'contacts-sync',
  description: 'Reconcile members, customers, follows, tags and customer groups with WeCom (resumes an interrupted run)',
  schedule: '0 2 * * *',
  catchUp: true,
  async run({ services, log, progress }) {
    const counts = await reconcileCustomerData({
      db: services.db, wecom: customerDataWecom(services), clock: services.clock, log, progress,
    });
    return { ...counts };
  },
};
