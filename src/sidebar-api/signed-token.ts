import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compact HMAC-signed tokens for cookies: `<base64url JSON>.<base64url HMAC-SHA256>`.
 * The purpose is mixed into the MAC, so an OAuth-state cookie can never be replayed as a session.
 * Both halves must be canonical unpadded base64url: a lenient decoder would accept several
 * spellings of one MAC (padding, stray characters, unused low bits), so one session would have
 * many valid cookie strings.
 */

export function signToken(secret: string, purpose: string, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(secret, purpose, body)}`;
}

/** The payload when the MAC verifies, else null. Never throws on hostile input. */
export function verifyToken<T>(secret: string, purpose: string, token: string | undefined | null): T | null {
  if (!token || token.length > 4096) return null;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'utf8');
  const expected = Buffer.from(mac(secret, purpose, body), 'utf8');
  // The MAC is compared as the exact string the server wrote.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const json = decodeBase64urlStrict(body);
  if (json === null) return null;
  try {
    const v: unknown = JSON.parse(json.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as T) : null;
  } catch {
    return null;
  }
}

/** Unpadded base64url that re-encodes to itself, else null. */
export function decodeBase64urlStrict(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

function mac(secret: string, purpose: string, body: string): string {
  return createHmac('sha256', secret).update(purpose).update('\n').update(body).digest('base64url');
}
