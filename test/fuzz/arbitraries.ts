import fc from 'fast-check';

/**
 * Hostile values shared by the fuzz tests. Runs are bounded and the seed is fixed, so a run is
 * repeatable; FENCUN_FUZZ_SEED picks another seed, and a failure prints the seed and path to
 * replay (fast-check's counterexample report).
 */
export const FUZZ_SEED = Number(process.env.FENCUN_FUZZ_SEED ?? 20261201);

export function fuzzOptions(numRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns, endOnFailure: true, verbose: 1 };
}

/** Unicode edge cases: NUL, lone surrogates, BOM, bidi override, astral CJK, ZWJ emoji, combining marks. */
export const EDGE_STRINGS = [
  '', ' ', '\u0000', '\ud800', '\udfff', '\ufeff', '\u202e削除', '𠮷野家', '👩‍👩‍👧‍👦', 'e\u0301\u0301\u0301', '\r\n', ']]>', '<![CDATA[', '&amp;', '<x>',
  "' OR '1'='1", '%00', '..\\..\\', 'null', 'true', '-0', '1e309', '0x1F',
];

export const hostileString = (maxLength = 64): fc.Arbitrary<string> => fc.oneof(
  fc.constantFrom(...EDGE_STRINGS),
  fc.string({ unit: 'binary', maxLength }),
  fc.string({ unit: 'grapheme', maxLength }),
  fc.string({ unit: 'grapheme-ascii', maxLength }),
  // A huge string now and then.
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => '长'.repeat(n)),
);

/** Epoch-millisecond-ish numbers from the far past to beyond Date's range, and non-integers. */
export const hostileTime = (now: number): fc.Arbitrary<unknown> => fc.oneof(
  fc.constantFrom(9007199254740991, -9007199254740991, 8.64e15, 8.64e15 + 1, 0, -1, 1, 1e12 - 1, 1e12, now, now + 86_400_000, now + 2 * 86_400_000, Number.MAX_VALUE, 1.5),
  fc.integer({ min: -2_000_000_000_000, max: 5_000_000_000_000 }),
  fc.double({ noNaN: false }),
  fc.constantFrom('2025-03-01', 'yesterday', '', null, true, [], {}),
  fc.integer({ min: 0, max: 4_102_444_800 }).map(String),
);

/** Objects and arrays nested up to `depth` levels. */
export const nested = (depth: number): fc.Arbitrary<unknown> =>
  fc.integer({ min: 1, max: depth }).map((d) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < d; i++) v = i % 2 ? [v] : { k: v };
    return v;
  });

/** Any JSON-ish value, including wrong types and deep nesting. */
export const hostileValue = (now: number): fc.Arbitrary<unknown> => fc.oneof(
  hostileString(),
  hostileTime(now),
  fc.jsonValue({ maxDepth: 3 }),
  nested(8),
  fc.constantFrom(undefined, null, NaN, Infinity),
);

/** One of `valid`, or (sometimes) a hostile value in its place. */
export const mostly = <T>(valid: fc.Arbitrary<T>, now: number): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: hostileValue(now) });

/** Every byte of `s` percent-encoded: any string, however hostile, as one path segment or query value. */
export const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
