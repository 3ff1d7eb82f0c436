import { AppError } from '../errors';
import type { MaterialLibrary } from '../materials/service';
import type { MsgAttachment } from '../wecom/requests';
import type { Content } from './types';

/**
 * Attachments as add_msg_template takes them: an image or file given as `material_id` (the 素材
 * library) becomes WeCom's temporary `media_id`, uploaded through the WeCom client (media/upload)
 * just before the task is handed to the outbox. The library keeps each material's media_id and
 * reuses it until half a day before WeCom's 3 days run out, so a campaign's batches, a series'
 * every occurrence and the reps' own sends share one upload. Shared by campaigns and group posts.
 */
export async function resolveAttachments(
  attachments: Content['attachments'], library: Pick<MaterialLibrary, 'message'>,
): Promise<MsgAttachment[] | undefined> {
  if (!attachments) return undefined;
  const out: MsgAttachment[] = [];
  for (const [i, a] of attachments.entries()) {
    if (a.msgtype === 'image' && a.image.material_id !== undefined && !a.image.media_id) {
      out.push({ msgtype: 'image', image: { media_id: await mediaOf(library, a.image.material_id, 'image', i) } });
    } else if (a.msgtype === 'file' && a.file.material_id !== undefined && !a.file.media_id) {
      out.push({ msgtype: 'file', file: { media_id: await mediaOf(library, a.file.material_id, 'file', i) } });
    } else {
      out.push(stripMaterial(a));
    }
  }
  return out;
}

/** How the console names a material's kind. */
const KIND_WORDS: Record<string, string> = { image: '图片', file: '文件', link: '链接', miniprogram: '小程序' };

async function mediaOf(library: Pick<MaterialLibrary, 'message'>, id: number, kind: 'image' | 'file', index: number): Promise<string> {
  const m = await library.message(id);
  if (m.msgtype === 'image' && kind === 'image') return m.image.mediaid;
  if (m.msgtype === 'file' && kind === 'file') return m.file.mediaid;
  throw new AppError('ATTACHMENT_MATERIAL_KIND', `第 ${index + 1} 个附件：素材 ${id} 不是${kind === 'image' ? '图片' : '文件'}`, { status: 400 });
}

/** An attachment with a media_id already (or a pic_url, link, miniprogram) goes as given, without Fencun's own field. */
function stripMaterial(a: NonNullable<Content['attachments']>[number]): MsgAttachment {
  if (a.msgtype === 'image') {
    const { material_id: _m, ...image } = a.image;
    return { msgtype: 'image', image };
  }
  if (a.msgtype === 'file') return { msgtype: 'file', file: { media_id: a.file.media_id! } };
  return a as MsgAttachment;
}

/** At creation: every material_id names a material of the right kind (a 400 with the attachment's number otherwise). */
export async function checkMaterials(attachments: Content['attachments'], library: Pick<MaterialLibrary, 'get'>, code: string): Promise<void> {
  for (const [i, a] of (attachments ?? []).entries()) {
    const id = a.msgtype === 'image' ? a.image.material_id : a.msgtype === 'file' ? a.file.material_id : undefined;
    if (id === undefined) continue;
    const m = await library.get(id).catch(() => null);
    if (!m) throw new AppError(code, `第 ${i + 1} 个附件：素材库里没有编号为 ${id} 的素材（可在 /api/materials 查看）`, { status: 400 });
    if (m.kind !== a.msgtype) throw new AppError(code, `第 ${i + 1} 个附件：素材 ${id} 是${KIND_WORDS[m.kind] ?? m.kind}，不是${a.msgtype === 'image' ? '图片' : '文件'}`, { status: 400 });
  }
}
