import type { Job } from './job';
import { contactsSync } from '../contacts/sync-job';
import { judgementJobs } from '../judgement/jobs';
import { careReminders, replyReminders } from '../reminders/care-job';
import { reminderBundles } from '../reminders/delivery';
import { supervisorDigest } from '../digest/job';
import { campaignsJob } from '../campaigns/service';
import { inboxPrune } from './inbox-prune';
import { groupContentJob } from '../group-content/service';

/** Every job Fencun knows; capabilities add theirs here. */
export function allJobs(): Job[] {
  return [inboxPrune, contactsSync, ...judgementJobs, careReminders, replyReminders, reminderBundles, supervisorDigest, campaignsJob, groupContentJob];
}

export function findJob(name: string): Job | undefined {
  return allJobs().find((j) => j.name === name);
}
