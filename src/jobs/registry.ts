import type { Job } from './job';
import { inboxPrune } from './inbox-prune';

/** Every job Fencun knows; capabilities add theirs here. */
export function allJobs(): Job[] {
  return [inboxPrune];
}

export function findJob(name: string): Job | undefined {
  return allJobs().find((j) => j.name === name);
}
