import fc from 'fast-check';
import { CUSTOMERS, NOW } from '../sidebar/fixture';
import { hostileString, hostileValue, pct } from './arbitraries';
import { assertNever5xx, sidebarFuzzSuite } from './sidebar-fuzz';

jest.setTimeout(300_000);

/**
 * Property: a signed-in rep's browser may send anything to the sidebar API (wrong types, huge
 * and deep bodies, unicode ids, junk query strings): the answer is never 5xx, and whatever was
 * accepted leaves the profiles, timelines and the group view answering.
 */

const KNOWN = [CUSTOMERS.chen, CUSTOMERS.liu, CUSTOMERS.xie];
const suite = sidebarFuzzSuite();

const id = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KNOWN, CUSTOMERS.wu) }, { weight: 1, arbitrary: hostileString(300) });
const now = NOW.getTime();

const request = fc.oneof(
  fc.record({ method: fc.constant('POST'), path: id.map((c) => `/sidebar/api/contacts/${pct(c)}/notes`), body: fc.oneof(fc.record({ text: hostileString(3000), complaint: fc.oneof(fc.boolean(), hostileValue(now)) }), hostileValue(now)) }),
  fc.record({ method: fc.constant('POST'), path: id.map((c) => `/sidebar/api/contacts/${pct(c)}/tags`), body: fc.oneof(fc.record({ add: fc.array(hostileString(40), { maxLength: 5 }), remove: fc.array(hostileString(40), { maxLength: 5 }) }), hostileValue(now)) }),
  fc.record({ method: fc.constant('POST'), path: fc.tuple(id, hostileString(40), fc.constantFrom('done', 'snooze', 'x')).map(([c, r, a]) => `/sidebar/api/contacts/${pct(c)}/reminders/${pct(r)}/${a}`), body: fc.oneof(fc.record({ preset: fc.oneof(fc.constantFrom('1h', 'tomorrow', '3d', '7d'), hostileString(10)) }), hostileValue(now)) }),
  fc.record({ method: fc.constant('POST'), path: fc.tuple(id, hostileString(40), fc.constantFrom('confirm', 'dismiss', 'close')).map(([c, k, a]) => `/sidebar/api/contacts/${pct(c)}/complaints/${pct(k)}/${a}`), body: hostileValue(now) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/sidebar/api/jssdk/signatures'), body: fc.oneof(fc.record({ url: hostileString(3000) }), hostileValue(now)) }),
  fc.record({ method: fc.constant('GET'), path: fc.tuple(id, hostileString(40), hostileString(10)).map(([c, b, l]) => `/sidebar/api/contacts/${pct(c)}/timeline?before=${pct(b)}&limit=${pct(l)}`), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('GET'), path: fc.oneof(id.map((c) => `/sidebar/api/contacts/${pct(c)}`), hostileString(100).map((g) => `/sidebar/api/groups/${pct(g)}`)), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant(`/sidebar/api/contacts/${CUSTOMERS.chen}/notes`), body: fc.constant('['.repeat(100_000)) }),
);

it('never 5xx, and what was accepted leaves every view answering', async () => {
  // The requests are POSTs and GETs: the view checks follow each accepted POST.
  const seen = await assertNever5xx(suite, request, { known: KNOWN, runs: 120, rawStrings: true });
  console.log(`sidebar API answers: ${JSON.stringify(seen)}`);
  expect(seen[200]).toBeGreaterThan(0);
});
