import { timingSafeEqual } from 'node:crypto';
import { decrypt, getSignature } from '@wecom/crypto';

/** Why a callback was refused; each is a log reason and a metric label. */
export type Refusal =
  | 'missing_params'
  | 'bad_signature'
  | 'stale_timestamp'
  | 'wrong_corp'
  | 'undecryptable'
  | 'too_large'
  | 'hostile_xml'
  | 'malformed_xml';

const REFUSAL_MESSAGES: Record<Refusal, string> = {
  missing_params: 'msg_signature, timestamp or nonce is missing from the query string',
  bad_signature: 'signature does not match: check WECOM_CALLBACK_TOKEN equals the Token in the WeCom console, or the request is forged',
  stale_timestamp: 'timestamp is too far from now: a replayed request, or this server clock is wrong',
  wrong_corp: 'message was encrypted for a different CorpID than WECOM_CORP_ID',
  undecryptable: 'payload does not decrypt: check WECOM_CALLBACK_AES_KEY equals the EncodingAESKey in the WeCom console',
  too_large: 'body exceeds the callback size limit',
  hostile_xml: 'XML contains a DOCTYPE or entity declaration, which WeCom never sends',
  malformed_xml: 'body or decrypted payload is not the XML WeCom sends',
};

export class CallbackRefused extends Error {
  constructor(public readonly reason: Refusal, detail?: string) {
    super(REFUSAL_MESSAGES[reason] + (detail ? ` (${detail})` : ''));
    this.name = 'CallbackRefused';
  }

  /** 413 for size, 403 for authenticity, 400 for content. */
  get status(): number {
    if (this.reason === 'too_large') return 413;
    if (this.reason === 'bad_signature' || this.reason === 'stale_timestamp' || this.reason === 'wrong_corp') return 403;
    return 400;
  }
}

export interface SignedQuery {
  signature: string;
  timestamp: string;
  nonce: string;
}

export function readSignedQuery(query: Record<string, unknown>): SignedQuery {
  const signature = single(query.msg_signature);
  const timestamp = single(query.timestamp);
  const nonce = single(query.nonce);
  if (!signature || !timestamp || !nonce) throw new CallbackRefused('missing_params');
  return { signature, timestamp, nonce };
}

/** sha1(sort(token, timestamp, nonce, encrypt)) compared in constant time (API.md 1.3). */
export function verifySignature(token: string, q: SignedQuery, encrypt: string): void {
  const expected = Buffer.from(getSignature(token, q.timestamp, q.nonce, encrypt), 'utf8');
  const given = Buffer.from(q.signature.toLowerCase(), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new CallbackRefused('bad_signature');
}

/** WeCom stamps each delivery with the send time; far-off values are replays or clock trouble. */
export function checkFreshness(q: SignedQuery, nowMs: number, maxSkewSeconds: number): void {
  const ts = Number(q.timestamp);
  if (!Number.isFinite(ts)) throw new CallbackRefused('missing_params', 'timestamp is not a number');
  if (Math.abs(nowMs / 1000 - ts) > maxSkewSeconds) throw new CallbackRefused('stale_timestamp');
}

/**
 * Decrypts an Encrypt value and performs the checks @wecom/crypto leaves to its caller
 * (API.md section 2): the receive id must be our CorpID, and the plaintext must be non-empty.
 * A wrong key usually yields a bogus length and so a wrong receive id; both count as undecryptable
 * unless the plaintext is intact and merely addressed to another corp.
 */
export function decryptFor(aesKey: string, corpId: string, encrypt: string): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypt) || encrypt.length % 4 !== 0) throw new CallbackRefused('undecryptable', 'not base64');
  let plain: { message: string; id: string };
  try {
    plain = decrypt(aesKey, encrypt);
  } catch {
    throw new CallbackRefused('undecryptable');
  }
  if (plain.id !== corpId) {
    const looksIntact = /^w[wx][0-9A-Za-z]{8,30}$/.test(plain.id) && plain.message.startsWith('<');
    throw new CallbackRefused(looksIntact ? 'wrong_corp' : 'undecryptable');
  }
  if (plain.message.length === 0) throw new CallbackRefused('malformed_xml', 'empty plaintext');
  return plain.message;
}

function single(v: unknown): string | undefined {
  if (Array.isArray(v)) return undefined;
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
