import type { Sql } from '../db/database';
import { insertIgnoringDuplicates, num } from '../db/sql';

/**
 * SQL of the saved policy versions (policy_versions). A row holds the whole policy as JSON (the
 * six files of config/ as one object, keyed tiers, pressure, complaints, nextAction, reminders,
 * digest); the current policy is the highest version; version 0 is config/ and has no row.
 */

export interface PolicyVersionRow {
  version: number;
  basedOn: number;
  policy: unknown;
  actor: string;
  note: string;
  savedAt: number;
}

export type PolicyVersionInfo = Omit<PolicyVersionRow, 'policy'>;

export class PolicyVersionRepository {
  constructor(private readonly db: Sql) {}

  /** The highest saved version, 0 when none: the one cheap statement every instance polls. */
  async latestVersion(): Promise<number> {
    const [r] = await this.db.query<{ v: unknown }>('SELECT MAX(version) AS v FROM policy_versions');
    return r?.v === null || r?.v === undefined ? 0 : num(r.v);
  }

  async get(version: number): Promise<PolicyVersionRow | null> {
    const [r] = await this.db.query<Record<string, unknown>>('SELECT * FROM policy_versions WHERE version = ?', [version]);
    return r ? toRow(r) : null;
  }

  /** Newest first, without the policy bodies. */
  async list(limit: number): Promise<PolicyVersionInfo[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT version, based_on, actor, note, saved_at FROM policy_versions ORDER BY version DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
    return rows.map((r) => ({ version: num(r.version), basedOn: num(r.based_on), actor: String(r.actor), note: String(r.note ?? ''), savedAt: num(r.saved_at) }));
  }

  /**
   * Saves a version edited from `basedOn`; null when another save from the same version landed
   * first (based_on is unique), so two admins never overwrite each other unknowingly.
   */
  async insert(v: { basedOn: number; policy: unknown; actor: string; note: string; savedAt: number }): Promise<number | null> {
    const n = await insertIgnoringDuplicates(this.db, 'policy_versions', ['based_on', 'policy', 'actor', 'note', 'saved_at'],
      [[v.basedOn, JSON.stringify(v.policy), v.actor.slice(0, 128), v.note.slice(0, 500), v.savedAt]], ['based_on']);
    if (n === 0) return null;
    const [r] = await this.db.query<{ version: unknown }>('SELECT version FROM policy_versions WHERE based_on = ?', [v.basedOn]);
    return num(r.version);
  }
}

function toRow(r: Record<string, unknown>): PolicyVersionRow {
  return {
    version: num(r.version), basedOn: num(r.based_on), policy: JSON.parse(String(r.policy)) as unknown,
    actor: String(r.actor), note: String(r.note ?? ''), savedAt: num(r.saved_at),
  };
}
