import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningSimulator } from '../../src/wecom-simulator';

/**
 * A browser's view of the console for tests: a cookie jar for the console's cookies, same-origin
 * headers on POSTs as the page's fetch sends them, and the WeCom web-login round trip through the
 * bundled simulator (start → the simulator's member list → "scan" as one → callback).
 */
export class ConsoleBrowser {
  readonly jar = new Map<string, string>();

  constructor(readonly url: string) {}

  get cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keep(res: Response): Response {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (!value || /max-age=0|expires=Thu, 01 Jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  async request(method: string, p: string, o: { body?: unknown; raw?: string; type?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    return this.keep(await fetch(this.url + p, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.jar.size ? { Cookie: this.cookie } : {}),
        ...(method === 'POST' ? { 'Content-Type': o.type ?? 'application/json', Origin: this.url, 'Sec-Fetch-Site': 'same-origin' } : {}),
        ...o.headers,
      },
      body,
    }));
  }

  get(p: string): Promise<Response> {
    return this.request('GET', p);
  }

  post(p: string, body?: unknown): Promise<Response> {
    return this.request('POST', p, { body: body ?? {} });
  }

  async json<T = Record<string, unknown>>(method: 'GET' | 'POST', p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = method === 'GET' ? await this.get(p) : await this.post(p, body);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** Start → the simulator's login page → scan as `userId`; answers the callback response (not followed). */
  async scanAs(sim: RunningSimulator, userId: string, to?: string): Promise<{ callback: string; res: Response }> {
    const start = await this.get('/admin/auth/wecom/start' + (to ? `?to=${encodeURIComponent(to)}` : ''));
    if (start.status !== 302) throw new Error(`start answered ${start.status}`);
    const loginUrl = start.headers.get('location')!;
    const page = await (await fetch(loginUrl)).text();
    const href = new RegExp(`data-userid="${userId}" href="([^"]+)"`).exec(page)?.[1];
    if (!href) throw new Error(`the simulator's login page does not list ${userId}`);
    const scan = await fetch(sim.url + href.replace(/&amp;/g, '&'), { redirect: 'manual' });
    const callback = scan.headers.get('location')!;
    const back = new URL(callback);
    // PUBLIC_BASE_URL of a test server is http://localhost:0; the path is what WeCom returns to.
    if (back.pathname !== '/admin/auth/wecom/callback') throw new Error(`the simulator sent the browser to ${callback}`);
    return { callback, res: await this.get(back.pathname + back.search) };
  }
}

/** config/admin.json for a test, named by FENCUN_ADMIN_CONFIG while the test runs. */
export function useAdminConfig(config: Record<string, unknown>): { write(next: Record<string, unknown> | string): void; restore(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fencun-admin-'));
  const file = path.join(dir, 'admin.json');
  fs.writeFileSync(file, JSON.stringify(config));
  const previous = process.env.FENCUN_ADMIN_CONFIG;
  process.env.FENCUN_ADMIN_CONFIG = file;
  return {
    write(next) {
      fs.writeFileSync(file, typeof next === 'string' ? next : JSON.stringify(next));
    },
    restore() {
      if (previous === undefined) delete process.env.FENCUN_ADMIN_CONFIG;
      else process.env.FENCUN_ADMIN_CONFIG = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
