import type { Clock } from '../clock';
import type { Database } from '../db/database';
import type { PolicyConfig } from '../policy/config';
import { loadScriptsConfig } from './config';
import { ScriptLibrary } from './service';

/**
 * The library as the HTTP routes build it: config/scripts.json read once, tier labels from the
 * policy. Every router builds its own; seeding is idempotent by key, so they agree.
 */
export function scriptLibraryFor(d: { db: Database; clock: Clock; policy: Pick<PolicyConfig, 'tiers'> }): ScriptLibrary {
  return new ScriptLibrary({
    db: d.db, clock: d.clock, config: loadScriptsConfig(),
    tierLabels: new Map(d.policy.tiers.tiers.map((t) => [t.id, t.label])),
  });
}
