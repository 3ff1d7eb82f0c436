import fc from 'fast-check';
import { CUSTOMERS, NOW } from '../sidebar/fixture';
import { hostileString, hostileValue, pct } from './arbitraries';
import { assertNever5xx, sidebarFuzzSuite } from './sidebar-fuzz';

jest.setTimeout(300_000);

/**
 * Property: the rep's tools (profile fields, follow-ups, sales stage, tier override) take
 * anything a browser may send — wrong types, hostile strings and dates, unknown fields and
 * custom keys — and never answer 5xx; whatever was accepted leaves the customer views, their
 * timelines and the group view answering (a stored value never breaks another endpoint).
 */

const KNOWN = [CUSTOMERS.chen, CUSTOMERS.liu, CUSTOMERS.feng];
const suite = sidebarFuzzSuite();

const now = NOW.getTime();
const id = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KNOWN) }, { weight: 1, arbitrary: hostileString(200) });
const text = fc.oneof(hostileString(200), fc.constantFrom('王姐', '13800138000', '1990-05-03', '05-03', '02-29', '杭州', ''), fc.constant(null));
const profileBody = fc.oneof(
  fc.record({
    salutation: text, phone: text, birthday: text, region: text, company: text, description: text,
    custom: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('skin_type', 'source_store'), hostileString(40)), fc.oneof(text, fc.double(), hostileValue(now))), hostileValue(now)),
  }, { requiredKeys: [] }),
  hostileValue(now),
);
const followUpBody = fc.oneof(
  fc.record({
    type: fc.oneof(fc.constantFrom('wechat', 'phone', 'store', 'visit'), hostileString(10)),
    text: hostileString(2500),
    nextAt: fc.oneof(fc.constantFrom('2025-03-07T15:00', '2025-03-06T09:00', '2025-13-40T25:61', '2025-03-07T15:00:00+08:00'), hostileString(40), fc.constant(null), hostileValue(now)),
  }, { requiredKeys: [] }),
  hostileValue(now),
);
const request = fc.oneof(
  fc.record({ method: fc.constant('POST'), path: id.map((c) => `/sidebar/api/contacts/${pct(c)}/profile`), body: profileBody }),
  fc.record({ method: fc.constant('POST'), path: id.map((c) => `/sidebar/api/contacts/${pct(c)}/follow-ups`), body: followUpBody }),
  fc.record({ method: fc.constant('POST'), path: id.map((c) => `/sidebar/api/contacts/${pct(c)}/sales-stage`), body: fc.oneof(fc.record({ stage: fc.oneof(fc.constantFrom('quoted', 'won', null), hostileString(40)) }), hostileValue(now)) }),
  fc.record({ method: fc.constant('POST'), path: id.map((c) => `/sidebar/api/contacts/${pct(c)}/tier-override`),
    body: fc.oneof(fc.record({ tier: fc.oneof(fc.constantFrom('core', 'potential'), hostileString(40)), reason: hostileString(300) }), hostileValue(now)) }),
  fc.record({ method: fc.constant('DELETE'), path: id.map((c) => `/sidebar/api/contacts/${pct(c)}/tier-override`), body: fc.constant(undefined) }),
);

it('never 5xx, and what was accepted leaves every view answering', async () => {
  // Every request here is a write (POST or DELETE): each accepted one is followed by the view checks.
  const seen = await assertNever5xx(suite, request, { known: KNOWN, runs: 100, origin: true });
  console.log(`rep tools answers: ${JSON.stringify(seen)}`);
  expect(seen[200]).toBeGreaterThan(0);
  expect(seen[400]).toBeGreaterThan(0);
});
