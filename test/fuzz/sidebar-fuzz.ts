import fc from 'fast-check';
import { GROUP, REPS } from '../sidebar/fixture';
import type { SidebarClient } from '../sidebar/http';
import { startSecurityWorld, type SecurityWorld } from '../security/world';
import { fuzzOptions } from './arbitraries';

/** What a file of sidebar API properties works with: set by the hooks sidebarFuzzSuite adds. */
export interface SidebarFuzzSuite {
  world: SecurityWorld;
  /** 李娜, signed in through OAuth: the rep whose browser sends the hostile requests. */
  lina: SidebarClient;
}

/** Jest hooks: one security world for the file, with 李娜 signed in. */
export function sidebarFuzzSuite(): SidebarFuzzSuite {
  const suite = {} as SidebarFuzzSuite;
  beforeAll(async () => {
    suite.world = await startSecurityWorld();
    suite.lina = await suite.world.as(REPS.lina);
  });
  afterAll(async () => {
    await suite.world?.stop();
  });
  return suite;
}

export interface SidebarRequest {
  method: string;
  path: string;
  body: unknown;
}

/**
 * The property both sidebar API fuzz files hold: each request, sent as 李娜's browser, is never
 * answered 5xx, and after a write that was accepted (200) every customer in `known`, their
 * timelines and the group view still answer 200: a stored value never breaks another endpoint.
 * `origin` sends the page's Origin header as a browser does on a write; `rawStrings` sends a
 * string body as it is (not as a JSON string), so bodies that are not JSON reach the parser.
 * Returns how many answers each status had, for the caller's own expectations.
 */
export async function assertNever5xx(
  suite: SidebarFuzzSuite,
  request: fc.Arbitrary<SidebarRequest>,
  o: { known: readonly string[]; runs: number; origin?: boolean; rawStrings?: boolean },
): Promise<Record<number, number>> {
  const seen: Record<number, number> = {};
  const { world, lina } = suite;
  await fc.assert(fc.asyncProperty(request, async ({ method, path, body }) => {
    const res = await fetch(world.url + path, {
      method, redirect: 'manual',
      headers: { Cookie: lina.cookieHeader, 'Content-Type': 'application/json', ...(o.origin ? { Origin: world.url } : {}) },
      body: body === undefined ? undefined : o.rawStrings && typeof body === 'string' ? body : JSON.stringify(body) ?? 'undefined',
    });
    await res.arrayBuffer();
    seen[res.status] = (seen[res.status] ?? 0) + 1;
    expect({ path: path.slice(0, 120), status: res.status, ok: res.status < 500 }).toEqual({ path: path.slice(0, 120), status: res.status, ok: true });
    if (method !== 'GET' && res.status === 200) {
      for (const c of o.known) {
        expect((await lina.json('GET', `/sidebar/api/contacts/${c}`)).status).toBe(200);
        expect((await lina.json('GET', `/sidebar/api/contacts/${c}/timeline`)).status).toBe(200);
      }
      expect((await lina.json('GET', `/sidebar/api/groups/${GROUP}`)).status).toBe(200);
    }
  }), fuzzOptions(o.runs));
  return seen;
}
