import { randomBytes } from 'node:crypto';
import { ApiFault, invalidParam, seconds, type Endpoint } from './context';

/** Temporary media lives 3 days. */
export const MEDIA_TTL_MS = 3 * 86_400_000;

/** WeCom's per-type size limits for media/upload (bytes), and the smallest file it accepts (5 bytes). */
const LIMITS: Record<string, number> = { image: 10 * 1024 * 1024, voice: 2 * 1024 * 1024, video: 10 * 1024 * 1024, file: 20 * 1024 * 1024 };
const MIN_BYTES = 5;

/** media/upload: one multipart/form-data file part named "media" (API.md: 素材管理 上传临时素材). */
export const mediaEndpoints: Record<string, Endpoint> = {
  'media/upload': {
    method: 'POST',
    raw: true,
    handle(ctx, { query, raw }) {
      const type = query.type;
      if (!type || !(type in LIMITS)) throw new ApiFault(40004, 'invalid media type');
      const part = raw ? fileFrom(raw.contentType, raw.data) : null;
      if (!part) throw new ApiFault(41005, 'media data missing');
      if (part.data.length < MIN_BYTES) throw new ApiFault(40005, 'invalid file type');
      if (part.data.length > LIMITS[type]) throw new ApiFault(40006, 'invalid file size');
      if (type === 'image' && !isJpegOrPng(part.data)) throw new ApiFault(40005, 'invalid file type');
      const mediaId = `3sim${randomBytes(24).toString('base64url')}`;
      const createdAt = ctx.now();
      ctx.state.media.set(mediaId, { mediaId, type, filename: part.filename, contentType: part.contentType, data: part.data, createdAt });
      return { type, media_id: mediaId, created_at: String(seconds(createdAt)) };
    },
  },
};

/** The "media" part of a multipart body; null when there is none. */
function fileFrom(contentType: string, body: Buffer): { filename: string; contentType: string; data: Buffer } | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!/^multipart\/form-data/i.test(contentType) || !boundary) throw invalidParam('Content-Type must be multipart/form-data');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length + 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0) {
      const head = part.subarray(0, split).toString('utf8');
      if (/name="media"/.test(head)) {
        return {
          filename: /filename="([^"]*)"/.exec(head)?.[1] ?? '',
          contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? 'application/octet-stream',
          data: Buffer.from(part.subarray(split + 4)),
        };
      }
    }
    at = next;
  }
  return null;
}

function isJpegOrPng(d: Buffer): boolean {
  return (d[0] === 0xff && d[1] === 0xd8) || d.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}
