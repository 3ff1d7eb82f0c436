import type { SidebarWorld } from './world';

/** A tiny cookie-keeping HTTP client for the sidebar API, signing in the way WeCom would. */
export class SidebarClient {
  cookies = new Map<string, string>();

  constructor(readonly world: SidebarWorld) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.world.url + path, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size ? { Cookie: this.cookieHeader } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /**
   * OAuth2 as WeCom runs it: /sidebar/ sends us to the authorize page, which (for a member,
   * snsapi_base) comes straight back to the callback with a fresh code and our state.
   */
  async signIn(userId: string, to = '/sidebar/'): Promise<Response> {
    const start = await this.request('GET', `/sidebar/auth/start?to=${encodeURIComponent(to)}`);
    const authorize = new URL(start.headers.get('location')!);
    const code = this.world.sim.admin.issueOAuthCode({ userId });
    const redirect = new URL(authorize.searchParams.get('redirect_uri')!);
    return this.request('GET', `${redirect.pathname}?code=${code}&state=${authorize.searchParams.get('state')}`);
  }
}
