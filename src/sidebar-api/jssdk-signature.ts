import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import type { JssdkSignatures, SignedConfig } from './types';

/**
 * JS-SDK signatures for `wx.config` (corp jsapi_ticket) and `wx.agentConfig` (app ticket),
 * API.md 4.16: sha1 of "jsapi_ticket=T&noncestr=N&timestamp=S&url=U" in exactly that order,
 * raw values, no escaping, and the page URL without its #fragment.
 */
export function jsapiSignature(p: { ticket: string; nonceStr: string; timestamp: number | string; url: string }): string {
  const string1 = `jsapi_ticket=${p.ticket}&noncestr=${p.nonceStr}&timestamp=${p.timestamp}&url=${p.url}`;
  return createHash('sha1').update(string1, 'utf8').digest('hex');
}

/** What the WeCom client provides: both tickets, cached by the client (≤100 fetches/h per app). */
export interface TicketSource {
  getJsapiTicket(): Promise<string>;
  getAgentConfigTicket(): Promise<string>;
}

/**
 * The URL to sign: the page's own URL minus the fragment. Only pages of this deployment are
 * signed (same origin as PUBLIC_BASE_URL, under /sidebar/), so the endpoint cannot be used to
 * sign arbitrary URLs with our tickets.
 */
export function signableUrl(pageUrl: unknown, publicBaseUrl: string): string {
  if (typeof pageUrl !== 'string' || pageUrl.length > 2048) throw badUrl();
  const url = pageUrl.split('#')[0];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badUrl();
  }
  const origin = new URL(publicBaseUrl).origin;
  if (u.origin !== origin || !u.pathname.startsWith('/sidebar/')) {
    throw new AppError('JSSDK_URL_NOT_OURS', `只能为本系统的侧边栏页面签名（${origin}/sidebar/），请检查 PUBLIC_BASE_URL 与应用可信域名`, {
      status: 400,
      details: { expectedOrigin: origin },
    });
  }
  return url;
}

function badUrl(): AppError {
  return new AppError('JSSDK_URL_INVALID', 'url 必须是当前页面的完整地址', { status: 400 });
}

export interface SignerOptions {
  corpId: string;
  agentId: number;
  publicBaseUrl: string;
  clock: Clock;
}

export class JssdkSigner {
  constructor(private readonly tickets: TicketSource, private readonly o: SignerOptions) {}

  async sign(pageUrl: unknown): Promise<JssdkSignatures> {
    const url = signableUrl(pageUrl, this.o.publicBaseUrl);
    const [corpTicket, agentTicket] = await Promise.all([this.tickets.getJsapiTicket(), this.tickets.getAgentConfigTicket()]);
    const timestamp = Math.floor(this.o.clock().getTime() / 1000);
    const one = (ticket: string): SignedConfig => {
      const nonceStr = randomBytes(8).toString('hex');
      return { timestamp, nonceStr, signature: jsapiSignature({ ticket, nonceStr, timestamp, url }) };
    };
    return { corpId: this.o.corpId, agentId: this.o.agentId, url, config: one(corpTicket), agentConfig: one(agentTicket) };
  }
}
