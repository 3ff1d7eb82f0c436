import type { Database } from '../db/database';
import { num, numOrNull } from '../db/sql';
import type { MaterialKind, MaterialRecord } from './types';

/**
 * A stored material: the record operators see (types.ts) with its times as epoch ms, and the
 * WeCom upload of its file cached (a temporary media_id lives 3 days).
 */
export type Material = Omit<MaterialRecord, 'lastUsedAt' | 'createdAt' | 'updatedAt'> & {
  mediaId: string | null;
  mediaExpiresAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
  updatedAt: number;
};

export type NewMaterial = Pick<Material, 'kind' | 'category' | 'title' | 'description' | 'url' | 'picUrl' | 'appid' | 'page' | 'fileName' | 'contentType'>
  & { content: Buffer | null; createdBy: string };

/** Every column but the bytes: lists never carry files. */
const COLUMNS = 'id, kind, category, title, description, url, pic_url, appid, page, file_name, content_type, size, media_id, media_expires_at, uses, last_used_at, created_at, updated_at';

/** SQL of the 素材 library. */
export class MaterialRepository {
  constructor(private readonly db: Database) {}

  async create(m: NewMaterial, at: number): Promise<Material> {
    // The id from the same connection: two materials created in the same millisecond are told apart.
    const id = await this.db.transaction(async (tx) => {
      await tx.exec(
        `INSERT INTO materials (kind, category, title, description, url, pic_url, appid, page, file_name, content_type, size, content, uses, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
        [m.kind, m.category, m.title, m.description, m.url, m.picUrl, m.appid, m.page, m.fileName, m.contentType, m.content?.length ?? 0, m.content, m.createdBy, at, at]);
      const [r] = await tx.query<{ id: unknown }>(tx.dialect === 'mysql' ? 'SELECT LAST_INSERT_ID() AS id' : 'SELECT last_insert_rowid() AS id');
      return num(r.id);
    });
    return (await this.find(id))!;
  }

  async find(id: number): Promise<Material | null> {
    const [r] = await this.db.query(`SELECT ${COLUMNS} FROM materials WHERE id = ? AND deleted_at IS NULL`, [id]);
    return r ? toMaterial(r) : null;
  }

  async all(): Promise<Material[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM materials WHERE deleted_at IS NULL ORDER BY id`)).map(toMaterial);
  }

  async count(): Promise<number> {
    const [r] = await this.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM materials WHERE deleted_at IS NULL');
    return num(r.n);
  }

  async content(id: number): Promise<{ data: Buffer; contentType: string; fileName: string } | null> {
    const [r] = await this.db.query<{ content: unknown; content_type: string | null; file_name: string | null }>(
      'SELECT content, content_type, file_name FROM materials WHERE id = ? AND deleted_at IS NULL', [id]);
    if (!r || r.content == null) return null;
    const data = Buffer.isBuffer(r.content) ? r.content : Buffer.from(r.content as Uint8Array);
    return { data, contentType: r.content_type ?? 'application/octet-stream', fileName: r.file_name ?? '' };
  }

  async update(id: number, p: Partial<Pick<Material, 'category' | 'title' | 'description'>>, at: number): Promise<boolean> {
    const sets = ['updated_at = ?'];
    const params: unknown[] = [at];
    for (const [k, col] of [['category', 'category'], ['title', 'title'], ['description', 'description']] as const) {
      if (p[k] !== undefined) {
        sets.push(`${col} = ?`);
        params.push(p[k]);
      }
    }
    return (await this.db.exec(`UPDATE materials SET ${sets.join(', ')} WHERE id = ? AND deleted_at IS NULL`, [...params, id])) === 1;
  }

  /** The bytes go with it: a deleted file is not kept around. */
  async remove(id: number, at: number): Promise<boolean> {
    return (await this.db.exec('UPDATE materials SET deleted_at = ?, updated_at = ?, content = NULL, media_id = NULL WHERE id = ? AND deleted_at IS NULL', [at, at, id])) === 1;
  }

  async saveMedia(id: number, mediaId: string, expiresAt: number): Promise<void> {
    await this.db.exec('UPDATE materials SET media_id = ?, media_expires_at = ? WHERE id = ?', [mediaId, expiresAt, id]);
  }

  async countUse(id: number, at: number): Promise<boolean> {
    return (await this.db.exec('UPDATE materials SET uses = uses + 1, last_used_at = ? WHERE id = ? AND deleted_at IS NULL', [at, id])) === 1;
  }
}

function toMaterial(r: Record<string, unknown>): Material {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: num(r.id), kind: String(r.kind) as MaterialKind, category: String(r.category), title: String(r.title), description: String(r.description ?? ''),
    url: s(r.url), picUrl: s(r.pic_url), appid: s(r.appid), page: s(r.page), fileName: s(r.file_name), contentType: s(r.content_type),
    size: num(r.size), mediaId: s(r.media_id), mediaExpiresAt: numOrNull(r.media_expires_at), uses: num(r.uses), lastUsedAt: numOrNull(r.last_used_at),
    createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}
