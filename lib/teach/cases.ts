/**
 * Seeded random test cases for the notebooks' exercises: the learner's function and the library's
 * run on the same inputs. Small, varied and reproducible — edge cases first (one step, γ = 0, γ = 1),
 * then random ones.
 */
import { createRng } from "../core/rng";

/** Cases for `rewardToGo(rewards, episodeEnds, gamma)`: one or several episodes back to back. */
export function rewardToGoCases(n = 25, seed = 0): [number[], number[], number][] {
  const rng = createRng(seed);
  const cases: [number[], number[], number][] = [
    [[1], [1], 0.9],
    [[1, 1, 1], [0, 0, 1], 0],
    [[1, 1, 1], [0, 0, 1], 1],
    [[1, 2, 3, 4], [0, 1, 0, 1], 0.5], // two episodes: the sum restarts after the first
  ];
  while (cases.length < n) {
    const length = 1 + rng.int(12);
    const rewards = Array.from({ length }, () => Math.round(rng.uniform(-2, 3) * 4) / 4);
    const ends = Array.from({ length }, (_, t) => (t === length - 1 || rng.next() < 0.2 ? 1 : 0));
    cases.push([rewards, ends, [0.5, 0.9, 0.99, 1][rng.int(4)]]);
  }
  return cases;
}

/** Cases for a standardisation `(x − mean) / (std + 1e-8)`: arrays of 2–20 numbers, not all equal. */
export function standardizeCases(n = 20, seed = 1): [number[]][] {
  const rng = createRng(seed);
  const cases: [number[]][] = [[[1, 2, 3, 4]], [[-5, 5]]];
  while (cases.length < n) cases.push([Array.from({ length: 2 + rng.int(19) }, () => rng.normal(3, 10))]);
  return cases;
}

/** CartPole observations [x, ẋ, θ, θ̇] spread over the region a policy meets, for checking policies state by state. */
export function cartPoleStates(n = 50, seed = 2): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Float32Array.of(rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(-0.2, 0.2), rng.uniform(-2, 2)));
}
