import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import type { Log } from '../log';
import { matchesQuery } from '../scripts/rank';
import type { MediaUploadRequest, UploadedMedia } from '../wecom/client';
import { MaterialRepository, type Material } from './repository';
import type { ChatMaterialMessage, MaterialLibraryView, MaterialRecord, MaterialView } from './types';
import { decodeFile, MAX_MATERIALS, type MaterialBody } from './validate';

/** The WeCom call materials need (WecomClient satisfies it). */
export interface MediaUploader {
  uploadMedia(r: MediaUploadRequest): Promise<UploadedMedia>;
}

export interface MaterialLibraryDeps {
  db: Database;
  clock: Clock;
  log: Log;
  wecom: MediaUploader;
}

/** WeCom keeps temporary media 3 days; a media_id is reused until half a day before that. */
const MEDIA_LIFETIME_MS = 3 * 86_400_000;
const MEDIA_MARGIN_MS = 12 * 3_600_000;
const PAGE = 50;

/**
 * The 素材 library: what operators put in (images, links/articles, files, mini-programs) and what a
 * rep sends from the sidebar. Images and files go to WeCom as temporary media when first sent;
 * the media_id is kept and reused while it is valid, so a much-sent poster is uploaded once
 * every few days, not once per chat.
 */
export class MaterialLibrary {
  private readonly repo: MaterialRepository;
  /** One upload per material at a time in this process: reps sending the same poster share it. */
  private readonly uploading = new Map<number, Promise<string>>();

  constructor(private readonly d: MaterialLibraryDeps) {
    this.repo = new MaterialRepository(d.db);
  }

  async browse(f: { q?: string; category?: string }): Promise<MaterialLibraryView> {
    const all = await this.repo.all();
    const matching = all
      .filter((m) => (!f.category || m.category === f.category) && matchesQuery({ category: m.category, title: m.title, text: `${m.description}\n${m.fileName ?? ''}` }, f.q ?? ''))
      .sort((a, b) => b.uses - a.uses || b.id - a.id);
    return {
      categories: [...new Set(all.map((m) => m.category))],
      materials: matching.slice(0, PAGE).map(view),
      total: matching.length,
    };
  }

  /** The bytes of an image material (the sidebar's thumbnail); null for anything else. */
  async image(id: number): Promise<{ data: Buffer; contentType: string } | null> {
    const m = await this.repo.find(id);
    if (!m || m.kind !== 'image') return null;
    return this.repo.content(id);
  }

  /** The sendChatMessage content for one material, uploading its file to WeCom when needed. */
  async message(id: number): Promise<ChatMaterialMessage> {
    const m = await this.repo.find(id);
    if (!m) throw notFound('没有找到这个素材');
    switch (m.kind) {
      case 'image':
        return { msgtype: 'image', image: { mediaid: await this.mediaId(m) } };
      case 'file':
        return { msgtype: 'file', file: { mediaid: await this.mediaId(m) } };
      case 'link':
        return { msgtype: 'news', news: { link: m.url ?? '', title: m.title, desc: m.description, imgUrl: m.picUrl ?? '' } };
      case 'miniprogram':
        return { msgtype: 'miniprogram', miniprogram: { appid: m.appid ?? '', title: m.title, imgUrl: m.picUrl ?? '', page: m.page ?? '' } };
    }
  }

  async countUse(id: number): Promise<void> {
    if (!(await this.repo.countUse(id, this.d.clock().getTime()))) throw notFound('没有找到这个素材');
  }

  // ---- operators (machine API) --------------------------------------------------------------

  async list(f: { q?: string; category?: string; kind?: string }): Promise<MaterialRecord[]> {
    return (await this.repo.all())
      .filter((m) => (!f.kind || m.kind === f.kind) && (!f.category || m.category === f.category) && matchesQuery({ category: m.category, title: m.title, text: m.description }, f.q ?? ''))
      .map(record);
  }

  async get(id: number): Promise<MaterialRecord> {
    const m = await this.repo.find(id);
    if (!m) throw notFound(`no material with id ${id}`);
    return record(m);
  }

  async create(b: MaterialBody, actor: string): Promise<MaterialRecord> {
    if ((await this.repo.count()) >= MAX_MATERIALS) throw new AppError('TOO_MANY_MATERIALS', `the library holds at most ${MAX_MATERIALS} materials; delete some first`, { status: 409 });
    let content: Buffer | null = null;
    if (b.kind === 'image' || b.kind === 'file') {
      const decoded = decodeFile(b.kind, b.file);
      if (typeof decoded === 'string') throw new AppError('INVALID_MATERIAL', decoded, { status: 400 });
      content = decoded.data;
    }
    const m = await this.repo.create({
      kind: b.kind, category: b.category, title: b.title, description: b.description,
      url: b.kind === 'link' ? b.url : null,
      picUrl: b.kind === 'link' ? b.picUrl ?? null : b.kind === 'miniprogram' ? b.picUrl : null,
      appid: b.kind === 'miniprogram' ? b.appid : null, page: b.kind === 'miniprogram' ? b.page : null,
      fileName: b.kind === 'image' || b.kind === 'file' ? b.file.name : null,
      contentType: b.kind === 'image' || b.kind === 'file' ? b.file.contentType : null,
      content, createdBy: actor,
    }, this.d.clock().getTime());
    return record(m);
  }

  async update(id: number, p: { category?: string; title?: string; description?: string }): Promise<MaterialRecord> {
    if (!(await this.repo.update(id, p, this.d.clock().getTime()))) throw notFound(`no material with id ${id}`);
    return this.get(id);
  }

  async remove(id: number): Promise<void> {
    if (!(await this.repo.remove(id, this.d.clock().getTime()))) throw notFound(`no material with id ${id}`);
  }

  private async mediaId(m: Material): Promise<string> {
    const now = this.d.clock().getTime();
    if (m.mediaId && m.mediaExpiresAt !== null && m.mediaExpiresAt > now) return m.mediaId;
    let p = this.uploading.get(m.id);
    if (!p) {
      p = this.upload(m).finally(() => this.uploading.delete(m.id));
      this.uploading.set(m.id, p);
    }
    return p;
  }

  private async upload(m: Material): Promise<string> {
    const file = await this.repo.content(m.id);
    if (!file) throw notFound('这个素材的文件不见了，请联系管理员重新上传');
    let media: UploadedMedia;
    try {
      media = await this.d.wecom.uploadMedia({ type: m.kind === 'image' ? 'image' : 'file', filename: file.fileName || m.title, contentType: file.contentType, data: file.data });
    } catch (err) {
      this.d.log.warn({ materialId: m.id, err: (err as Error).message }, 'material upload to WeCom failed');
      throw new AppError('MEDIA_UPLOAD_FAILED', '没能把素材上传到企业微信，请稍后再试', { status: 502, cause: err });
    }
    // Counted on our clock from the upload (WeCom's created_at is the same moment, seen from its side).
    const expiresAt = this.d.clock().getTime() + MEDIA_LIFETIME_MS - MEDIA_MARGIN_MS;
    await this.repo.saveMedia(m.id, media.mediaId, expiresAt);
    this.d.log.info({ materialId: m.id, kind: m.kind }, 'material uploaded to WeCom');
    return media.mediaId;
  }
}

function view(m: Material): MaterialView {
  return {
    id: m.id, kind: m.kind, category: m.category, title: m.title, description: m.description,
    thumbUrl: m.kind === 'image' ? `/sidebar/api/materials/${m.id}/image` : m.picUrl,
    fileLabel: m.kind === 'file' ? `${m.fileName ?? ''} · ${sizeLabel(m.size)}` : null,
    uses: m.uses,
  };
}

export function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function notFound(message: string): AppError {
  return new AppError('MATERIAL_NOT_FOUND', message, { status: 404 });
}

function record(m: Material): MaterialRecord {
  return {
    id: m.id, kind: m.kind, category: m.category, title: m.title, description: m.description, url: m.url, picUrl: m.picUrl,
    appid: m.appid, page: m.page, fileName: m.fileName, contentType: m.contentType, size: m.size, uses: m.uses,
    lastUsedAt: m.lastUsedAt === null ? null : new Date(m.lastUsedAt).toISOString(),
    createdAt: new Date(m.createdAt).toISOString(), updatedAt: new Date(m.updatedAt).toISOString(),
  };
}
