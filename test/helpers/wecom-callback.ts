import { encrypt, getSignature } from '@wecom/crypto';

/**
 * Test-side WeCom: builds callbacks the way WeCom signs and encrypts them (API.md 1.1–1.5).
 * The defaults are Tencent's published PHP sample credentials (API.md 1.8).
 */
export const TEST_WECOM = {
  corpId: 'wx5823bf96d3bd56c7',
  token: 'QDG6eK',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  agentId: '1000002',
  secret: 'test-agent-secret-0123456789',
};

export const TEST_WECOM_ENV = {
  WECOM_CORP_ID: TEST_WECOM.corpId,
  WECOM_AGENT_ID: TEST_WECOM.agentId,
  WECOM_AGENT_SECRET: TEST_WECOM.secret,
  WECOM_CALLBACK_TOKEN: TEST_WECOM.token,
  WECOM_CALLBACK_AES_KEY: TEST_WECOM.aesKey,
};

export interface SignOptions {
  token?: string;
  aesKey?: string;
  corpId?: string;
  timestamp?: number;
  nonce?: string;
  /** 16 bytes; fixed in tests that need a deterministic ciphertext. */
  random?: Buffer;
}

export interface SignedCallback {
  path: string;
  body: string;
  encrypt: string;
}

export function signedPost(plaintextXml: string, o: SignOptions = {}): SignedCallback {
  const enc = encrypt(o.aesKey ?? TEST_WECOM.aesKey, plaintextXml, o.corpId ?? TEST_WECOM.corpId, o.random);
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? String(Math.floor(Math.random() * 1e9));
  const signature = getSignature(o.token ?? TEST_WECOM.token, timestamp, nonce, enc);
  const body = `<xml><ToUserName><![CDATA[${o.corpId ?? TEST_WECOM.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[${TEST_WECOM.agentId}]]></AgentID></xml>`;
  return { path: `/wecom/callback?${new URLSearchParams({ msg_signature: signature, timestamp, nonce })}`, body, encrypt: enc };
}

export function signedVerification(echoPlain: string, o: SignOptions = {}): { path: string; echostr: string } {
  const echostr = encrypt(o.aesKey ?? TEST_WECOM.aesKey, echoPlain, o.corpId ?? TEST_WECOM.corpId, o.random);
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? '263014780';
  const signature = getSignature(o.token ?? TEST_WECOM.token, timestamp, nonce, echostr);
  return { path: `/wecom/callback?${new URLSearchParams({ msg_signature: signature, timestamp, nonce, echostr })}`, echostr };
}

export async function postCallback(baseUrl: string, cb: SignedCallback): Promise<{ status: number; text: string }> {
  const res = await fetch(baseUrl + cb.path, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: cb.body });
  return { status: res.status, text: await res.text() };
}
