import { z } from 'zod';

/** WeCom takes images up to 10 MB; files are capped here too, so one row stays within MariaDB's default 16 MB packet. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_MATERIALS = 2000;

const https = (what: string) => z.string().trim().max(2048, `${what} is longer than 2048 characters`)
  .refine((u) => /^https:\/\/[^\s/]+\.[^\s]+$/i.test(u), `${what} must be an https:// address (WeCom shows only https pictures and pages in a chat)`);

const common = {
  category: z.string().trim().min(1, 'category is empty').max(16, 'category is longer than 16 characters'),
  title: z.string().trim().min(1, 'title is empty').max(64, 'title is longer than 64 characters'),
  description: z.string().trim().max(255, 'description is longer than 255 characters').default(''),
};

const file = z.strictObject({
  name: z.string().trim().min(1, 'file.name is empty').max(128, 'file.name is longer than 128 characters')
    .refine((n) => !/[\\/\u0000-\u001f]/.test(n), 'file.name must be a plain file name (no folders or control characters)'),
  contentType: z.string().trim().regex(/^[\w.+-]+\/[\w.+-]+$/, 'file.contentType must be a MIME type such as application/pdf'),
  base64: z.string().min(1, 'file.base64 is empty').regex(/^[A-Za-z0-9+/=\s]+$/, 'file.base64 is not base64'),
});

/** The body of POST /api/materials, by kind. */
export const MaterialBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('image'), ...common, file }),
  z.strictObject({ kind: z.literal('file'), ...common, file }),
  z.strictObject({ kind: z.literal('link'), ...common, url: https('url'), picUrl: https('picUrl').optional() }),
  z.strictObject({
    kind: z.literal('miniprogram'), ...common,
    appid: z.string().regex(/^wx[0-9a-f]{16}$/, 'appid must be the mini-program\'s AppID (wx followed by 16 hex digits)'),
    page: z.string().trim().min(1, 'page is empty').max(512, 'page is longer than 512 characters'),
    picUrl: https('picUrl'),
  }),
], { error: 'kind must be one of image, link, file, miniprogram' });
export type MaterialBody = z.infer<typeof MaterialBody>;

/** PATCH /api/materials/:id: the words and the grouping; the file or address is replaced by a new material. */
export const MaterialPatch = z.strictObject({
  category: common.category.optional(),
  title: common.title.optional(),
  description: z.string().trim().max(255, 'description is longer than 255 characters').optional(),
});

/** The decoded file, checked as WeCom would check it; a string says what is wrong. */
export function decodeFile(kind: 'image' | 'file', f: { name: string; contentType: string; base64: string }): { data: Buffer } | string {
  const data = Buffer.from(f.base64.replace(/\s+/g, ''), 'base64');
  if (data.length < 5) return 'file.base64 decodes to less than 5 bytes; WeCom refuses files that small';
  if (data.length > MAX_FILE_BYTES) return `the file is ${(data.length / 1024 / 1024).toFixed(1)} MB; at most 10 MB`;
  if (kind === 'image' && !isJpegOrPng(data)) return 'an image must be a JPG or PNG file (WeCom takes no other image type)';
  return { data };
}

function isJpegOrPng(d: Buffer): boolean {
  return (d[0] === 0xff && d[1] === 0xd8) || d.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}
