// Globals captured once: inside a vm context (jest) every global lookup goes through an
// interceptor, which made generating 100k customers several times slower.
const { imul, floor, min } = Math;
const allocUnsafe = Buffer.allocUnsafe;
const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'latin1');

/** A small deterministic PRNG (mulberry32): the same seed number always builds the same corp. */
export class Random {
  private state: number;

  constructor(seed: number) {
    // Kept as int32 (a small integer to V8): an uint32 field above 2^31 is boxed on every step.
    this.state = seed | 0 || 0x9e3779b9 | 0;
  }

  /** [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, maxInclusive: number): number {
    return min + floor(this.next() * (maxInclusive - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[floor(this.next() * items.length)];
  }

  /** Picks by weight: [[value, weight], …]. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [v, w] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1][0];
  }

  /** k distinct items (k ≤ length), order random. */
  sample<T>(items: readonly T[], k: number): T[] {
    const n = min(k, items.length);
    const picked = new Set<number>();
    while (picked.size < n) picked.add(floor(this.next() * items.length));
    return [...picked].map((i) => items[i]);
  }

  /** Letters and digits, like WeCom's opaque ids. */
  id(length: number): string {
    const out = allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = ALPHABET[floor(this.next() * ALPHABET.length)];
    return out.toString('latin1');
  }
}
