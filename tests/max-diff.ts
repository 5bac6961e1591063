import { expect } from "vitest";

/** Largest |a[i] − b[i]|, after checking the lengths agree (a length mismatch fails the test). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
