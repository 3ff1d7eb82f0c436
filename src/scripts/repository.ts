import type { Database } from '../db/database';
import { insertIgnoringDuplicates, num, numOrNull } from '../db/sql';
import type { ScriptRecord, ScriptScope } from './types';

/** A stored script: the record operators see (types.ts) with its times as epoch ms. */
export type Script = Omit<ScriptRecord, 'lastUsedAt' | 'createdAt' | 'updatedAt'> & { lastUsedAt: number | null; createdAt: number; updatedAt: number };

/** A script to store: a seeded one carries its seed key, any other has none. */
export type NewScript = Pick<Script, 'scope' | 'ownerUserId' | 'category' | 'title' | 'text' | 'kinds' | 'stages' | 'tiers' | 'createdBy'> & { seedKey?: string | null };

const COLUMNS = 'id, scope, owner_user_id, seed_key, category, title, body, kinds, stages, tiers, uses, last_used_at, created_by, created_at, updated_at';
const INSERT_COLUMNS = ['scope', 'owner_user_id', 'seed_key', 'category', 'title', 'body', 'kinds', 'stages', 'tiers', 'uses', 'created_by', 'created_at', 'updated_at'];

/** SQL of the 话术 library. Lists are small (a corp library of hundreds): callers filter and rank in memory. */
export class ScriptRepository {
  constructor(private readonly db: Database) {}

  /** Seeds the corp scripts whose key was never stored; returns how many were new. */
  seed(scripts: NewScript[], at: number): Promise<number> {
    return insertIgnoringDuplicates(this.db, 'scripts', INSERT_COLUMNS, scripts.map((s) => row(s, at)), ['seed_key']);
  }

  async create(s: NewScript, at: number): Promise<Script> {
    // The id from the same connection: two scripts created in the same millisecond are told apart.
    const id = await this.db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO scripts (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`, row(s, at));
      const [r] = await tx.query<{ id: unknown }>(tx.dialect === 'mysql' ? 'SELECT LAST_INSERT_ID() AS id' : 'SELECT last_insert_rowid() AS id');
      return num(r.id);
    });
    return (await this.find(id))!;
  }

  async find(id: number): Promise<Script | null> {
    const [r] = await this.db.query(`SELECT ${COLUMNS} FROM scripts WHERE id = ? AND deleted_at IS NULL`, [id]);
    return r ? toScript(r) : null;
  }

  /** The corp library and, with a rep, that rep's own scripts. */
  async visibleTo(userId: string | null): Promise<Script[]> {
    const rows = userId === null
      ? await this.db.query(`SELECT ${COLUMNS} FROM scripts WHERE deleted_at IS NULL AND scope = 'corp'`)
      : await this.db.query(`SELECT ${COLUMNS} FROM scripts WHERE deleted_at IS NULL AND (scope = 'corp' OR owner_user_id = ?)`, [userId]);
    return rows.map(toScript);
  }

  /** For operators: every live script, or one scope / one rep's. */
  async list(f: { scope?: ScriptScope; ownerUserId?: string }): Promise<Script[]> {
    const where = ['deleted_at IS NULL'];
    const params: unknown[] = [];
    if (f.scope) {
      where.push('scope = ?');
      params.push(f.scope);
    }
    if (f.ownerUserId) {
      where.push('owner_user_id = ?');
      params.push(f.ownerUserId);
    }
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM scripts WHERE ${where.join(' AND ')} ORDER BY category, id`, params);
    return rows.map(toScript);
  }

  count(scope: ScriptScope, ownerUserId: string | null): Promise<number> {
    return (ownerUserId === null
      ? this.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM scripts WHERE deleted_at IS NULL AND scope = ?`, [scope])
      : this.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM scripts WHERE deleted_at IS NULL AND scope = ? AND owner_user_id = ?`, [scope, ownerUserId]))
      .then(([r]) => num(r.n));
  }

  async update(id: number, patch: Partial<Pick<Script, 'category' | 'title' | 'text' | 'kinds' | 'stages' | 'tiers'>>, at: number): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [];
    const put = (col: string, v: unknown) => {
      sets.push(`${col} = ?`);
      params.push(v);
    };
    if (patch.category !== undefined) put('category', patch.category);
    if (patch.title !== undefined) put('title', patch.title);
    if (patch.text !== undefined) put('body', patch.text);
    if (patch.kinds !== undefined) put('kinds', patch.kinds.join(','));
    if (patch.stages !== undefined) put('stages', patch.stages.join(','));
    if (patch.tiers !== undefined) put('tiers', patch.tiers.join(','));
    put('updated_at', at);
    return (await this.db.exec(`UPDATE scripts SET ${sets.join(', ')} WHERE id = ? AND deleted_at IS NULL`, [...params, id])) === 1;
  }

  /** Kept as a row (deleted_at): a seeded script an operator removed must not be seeded again. */
  async remove(id: number, at: number): Promise<boolean> {
    return (await this.db.exec('UPDATE scripts SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL', [at, at, id])) === 1;
  }

  /** One use, counted in the statement itself: concurrent uses never overwrite each other. */
  async countUse(id: number, at: number): Promise<boolean> {
    return (await this.db.exec('UPDATE scripts SET uses = uses + 1, last_used_at = ? WHERE id = ? AND deleted_at IS NULL', [at, id])) === 1;
  }
}

function row(s: NewScript, at: number): unknown[] {
  return [s.scope, s.ownerUserId, s.seedKey ?? null, s.category, s.title, s.text, s.kinds.join(','), s.stages.join(','), s.tiers.join(','), 0, s.createdBy, at, at];
}

const split = (v: unknown) => (typeof v === 'string' && v ? v.split(',') : []);

function toScript(r: Record<string, unknown>): Script {
  return {
    id: num(r.id), scope: r.scope === 'personal' ? 'personal' : 'corp', ownerUserId: (r.owner_user_id as string | null) ?? null,
    seedKey: (r.seed_key as string | null) ?? null, category: String(r.category), title: String(r.title), text: String(r.body),
    kinds: split(r.kinds), stages: split(r.stages), tiers: split(r.tiers), uses: num(r.uses), lastUsedAt: numOrNull(r.last_used_at),
    createdBy: String(r.created_by), createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}
