/**
 * LunarLander's terrain, as `reset` builds it in Gymnasium's lunar_lander.py: CHUNKS + 1 = 12 random
 * heights in [0, H/2], the five around the middle overwritten with the helipad's height H/4, then
 * each of the CHUNKS points averaged with its two neighbours (× 0.33, not ÷ 3) — and, as in the
 * Python, point 0's left neighbour is `height[-1]`, the 12th height. The helipad is therefore flat
 * from x = helipad_x1 to helipad_x2 at 0.99·H/4, a hair below `helipadY` = H/4.
 */
import { CHUNKS, H, W } from "./constants";

export interface LunarLanderTerrain {
  /** The CHUNKS + 1 heights after the helipad overwrite (index CHUNKS is only used by the wrap-around). */
  readonly heights: readonly number[];
  /** x of the CHUNKS terrain points: W/(CHUNKS−1)·i, i.e. 0, 2, 4, …, 20 m. */
  readonly chunkX: readonly number[];
  /** y of the CHUNKS terrain points after smoothing. */
  readonly smoothY: readonly number[];
  /** The helipad's left and right ends (its flags) and its nominal height H/4. */
  readonly helipadX1: number;
  readonly helipadX2: number;
  readonly helipadY: number;
}

/**
 * The terrain from `draw(low, high)`, called CHUNKS + 1 = 12 times with (0, H/2) — the env passes
 * its generator's `uniform`. Pure apart from the draws.
 */
export function lunarLanderTerrain(draw: (low: number, high: number) => number): LunarLanderTerrain {
  const height: number[] = [];
  for (let i = 0; i < CHUNKS + 1; i++) height.push(draw(0, H / 2));
  const chunkX = Array.from({ length: CHUNKS }, (_, i) => (W / (CHUNKS - 1)) * i);
  const mid = Math.floor(CHUNKS / 2);
  const helipadY = H / 4;
  for (let i = mid - 2; i <= mid + 2; i++) height[i] = helipadY;
  const at = (i: number) => height[(i + height.length) % height.length]; // Python's height[-1]
  // the same order of additions as the original, so the values agree to the last bit
  const smoothY = Array.from({ length: CHUNKS }, (_, i) => 0.33 * (at(i - 1) + at(i) + at(i + 1)));
  return { heights: height, chunkX, smoothY, helipadX1: chunkX[mid - 1], helipadX2: chunkX[mid + 1], helipadY };
}
