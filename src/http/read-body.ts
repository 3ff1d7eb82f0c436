import type Koa from 'koa';

export class BodyTooLarge extends Error {}

/**
 * Reads the raw request body up to `limit` bytes. Stops reading (and rejects) as soon as the
 * limit is passed, so a huge upload costs neither memory nor time.
 */
export function readBody(ctx: Koa.Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('Content-Length'));
  if (declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const req = ctx.req;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
