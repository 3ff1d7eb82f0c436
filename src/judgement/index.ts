import type { Clock } from '../clock';
import { ComplaintService } from '../complaints/service';
import type { Database } from '../db/database';
import type { Log } from '../log';
import type { PolicyConfig } from '../policy/config';
import { createPressurePolicy, type PressurePolicy } from '../pressure';
import { PressureService } from './pressure-service';
import { TierService } from './tier-service';

export interface Judgement {
  policy: PolicyConfig;
  pressurePolicy: PressurePolicy;
  tiers: TierService;
  pressure: PressureService;
  complaints: ComplaintService;
}

/** The judgement core bound to the database: tiers, pressure gate, complaints. */
export function createJudgement(d: { db: Database; policy: PolicyConfig; timeZone: string; clock: Clock; log: Log }): Judgement {
  const pressurePolicy = createPressurePolicy(d.policy.pressure, d.timeZone);
  return {
    policy: d.policy,
    pressurePolicy,
    tiers: new TierService({ db: d.db, policy: d.policy, timeZone: d.timeZone }),
    pressure: new PressureService({ db: d.db, policy: pressurePolicy, clock: d.clock, log: d.log }),
    complaints: new ComplaintService({ db: d.db, config: d.policy.complaints, log: d.log }),
  };
}
