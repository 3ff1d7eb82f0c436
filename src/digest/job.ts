import type { Job, JobSummary } from '../jobs/job';
import type { Services } from '../services';
import { previousLocalDate } from './compute';
import { digestScheduleFromFile } from './schema';
import { DigestService } from './service';

export function digestServiceOf(services: Services): DigestService {
  return new DigestService({
    db: services.db, policy: services.judgement.policy, timeZone: services.config.timezone, publicBaseUrl: services.config.publicBaseUrl,
  });
}

/**
 * The supervisors' morning digest (capability 11): at sendAt (config/digest.json, default 08:30
 * in FENCUN_TIMEZONE) one app message per supervisor about the previous local day, through the
 * outbox. catchUp: a morning missed while no instance ran is sent when one starts. Exactly one per
 * supervisor and day: the runner runs a slot on one instance, and whatever runs it again (a
 * takeover, a catch-up, `jobs run`) meets the outbox key digest:<supervisor>:<date> already taken.
 */
export const supervisorDigest: Job = {
  name: 'supervisor-digest',
  description: "Send each supervisor the morning digest of their team's customers for the previous local day (app message through the outbox)",
  // Read when the runner starts, from config/digest.json.
  get schedule() {
    return digestScheduleFromFile();
  },
  catchUp: true,
  run: ({ now, services }) => runDigests(services, now),
};

export async function runDigests(services: Services, now: Date): Promise<JobSummary> {
  if (!services.judgement.policy.digest.enabled) return { skipped: 'digest disabled in config/digest.json' };
  const date = previousLocalDate(now.getTime(), services.config.timezone);
  const r = await digestServiceOf(services).enqueueAll(date, now.getTime());
  return { date, ...r };
}
