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

/**
 * Whether JSON text nests objects/arrays deeper than `max`, by one pass over the characters (no
 * recursion, so 50,000 levels cost a scan, not a stack overflow later in JSON.stringify).
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
