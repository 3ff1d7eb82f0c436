import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { SidebarWorld } from './world';

/**
 * Chromium as a phone inside WeCom: the system chromium, a WeCom user agent, and a scripted
 * stand-in for the WeCom client's JS bridge (window.WeixinJSBridge) — the one thing that cannot
 * exist outside WeCom. @wecom/jssdk talks to it exactly as it would to the real client.
 */

export const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'sidebar');
export const PHONE = { width: 390, height: 844 };
export const WECOM_UA = (version = '4.1.30') =>
  `Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/${version} MicroMessenger/7.0.1 Language/zh ColorScheme/Light`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
}

export interface BridgeScript {
  entry: 'single_chat_tools' | 'group_chat_tools' | 'contact_profile' | 'normal';
  userId?: string;
  chatId?: string;
  /** errMsg keyword for agentConfig to fail with (e.g. "invalid signature"). */
  agentConfigFails?: string;
  /** Calls the client takes and never answers (a WeCom that drops them). */
  hang?: string[];
  /** Calls that fail, with the errMsg keyword after "name:" (e.g. { sendChatMessage: 'no permission' }). */
  fail?: Record<string, string>;
}

export interface BridgeCall {
  name: string;
  params: Record<string, unknown>;
}

/** Installed before any page script runs; records every call in window.__bridgeCalls. */
function installBridge(script: BridgeScript): void {
  const w = window as unknown as { __bridgeCalls: unknown[]; WeixinJSBridge: unknown };
  w.__bridgeCalls = [];
  const answer = (name: string): Record<string, unknown> => {
    switch (name) {
      case 'agentConfig':
        return script.agentConfigFails ? { err_msg: `agentConfig:${script.agentConfigFails}` } : { err_msg: 'agentConfig:ok' };
      case 'preVerifyJSAPI':
        return { err_msg: 'preVerifyJSAPI:ok' };
      case 'getContext':
        return { err_msg: 'getContext:ok', entry: script.entry };
      case 'getCurExternalContact':
        return script.userId ? { err_msg: 'getCurExternalContact:ok', userId: script.userId } : { err_msg: 'getCurExternalContact:fail' };
      case 'getCurExternalChat':
        return script.chatId ? { err_msg: 'getCurExternalChat:ok', chatId: script.chatId } : { err_msg: 'getCurExternalChat:fail' };
      case 'sendChatMessage':
        return { err_msg: 'sendChatMessage:ok' };
      default:
        return { err_msg: `${name}:function not exist` };
    }
  };
  w.WeixinJSBridge = {
    invoke(name: string, params: Record<string, unknown>, cb: (r: unknown) => void) {
      w.__bridgeCalls.push({ name, params: JSON.parse(JSON.stringify(params ?? {})) });
      if (script.hang?.includes(name)) return;
      const failure = script.fail?.[name];
      setTimeout(() => cb(failure ? { err_msg: `${name}:${failure}` } : answer(name)), 5);
    },
    on() {},
  };
}

export interface PhoneSession {
  context: BrowserContext;
  page: Page;
  bridgeCalls(): Promise<BridgeCall[]>;
}

/** A fresh phone (new browser context: no cookies); WeCom sign-in answers for `world.signInAs`. */
export async function openPhone(browser: Browser, world: SidebarWorld, bridge: BridgeScript | null, o: { clientVersion?: string } = {}): Promise<PhoneSession> {
  const context = await browser.newContext({
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    userAgent: bridge ? WECOM_UA(o.clientVersion) : undefined,
  });
  if (bridge) await context.addInitScript(installBridge, bridge);
  const page = await context.newPage();
  return {
    context,
    page,
    bridgeCalls: () => page.evaluate(() => (window as unknown as { __bridgeCalls: BridgeCall[] }).__bridgeCalls),
  };
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  // Let the skeleton shimmer settle and fonts finish.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: file, fullPage, animations: 'disabled' });
  return file;
}
