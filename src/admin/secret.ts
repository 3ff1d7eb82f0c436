import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares a typed token with the configured one in constant time (hashes first: lengths differ). */
export function sameSecretText(given: string, expected: string): boolean {
  const h = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(h(given), h(expected));
}
