/**
 * LunarLander-v3 against Box2D itself. No trajectory from Gymnasium was available (its tests only
 * check that the heuristic scores > 100 on seed 1), so the reference numbers below were computed
 * with Box2D 2.3 in C++ (float32; the sources pybox2d, hence Gymnasium, builds) driven by
 * Gymnasium's `reset`/`step` logic written out line for line, outside this repository. Both sides
 * take the same draws: u_k = frac(0.5 + k·0.6180339887498949) (a Weyl sequence, cheap to write in
 * both languages), as `uniform(low, high) = low + (high − low)·u_k`, numpy's formula.
 *
 * Float32 Box2D and float64 planck agree to ~1e-5 over whole landings, contacts and sleep included;
 * only where the two differ chaotically (an action decided on a knife edge) do episodes part, which
 * these draws do not reach.
 */
import { describe, expect, it } from "vitest";
import { makeLunarLander, type LunarLanderAction } from "../lib/envs/lunar-lander";
import { lunarLanderHeuristic } from "../lib/envs/lunar-lander-heuristic";

function weyl(offset: number) {
  let k = offset;
  return {
    uniform(low: number, high: number) {
      const x = 0.5 + k++ * 0.6180339887498949;
      return low + (high - low) * (x - Math.floor(x));
    },
  };
}

type Row = [step: number, obs: number[], reward: number];

/** Runs from draw `offset`; returns the observation rows, the actions (discrete) and the return. */
function run(offset: number, policy: (obs: Float32Array, t: number) => LunarLanderAction, continuous = false, enableWind = false) {
  const env = makeLunarLander({ continuous, enableWind, rng: weyl(offset) });
  let obs = env.reset().obs;
  const rows: Row[] = [[0, Array.from(obs), 0]];
  let actions = "", total = 0;
  for (let t = 1; t <= 1000; t++) {
    const a = policy(obs, t);
    const r = env.step(a);
    obs = r.obs;
    rows.push([t, Array.from(obs), r.reward]);
    actions += typeof a === "number" ? a : "";
    total += r.reward;
    if (r.terminated) break;
  }
  return { rows, actions, total, steps: rows.length - 1 };
}

function expectRows(rows: Row[], reference: Row[]) {
  for (const [t, obs, reward] of reference) {
    const [, got, gotReward] = rows[t];
    got.forEach((v, i) => expect(Math.abs(v - obs[i]), `step ${t}, observation ${i}: ${v} vs Box2D ${obs[i]}`).toBeLessThan(1e-4));
    expect(Math.abs(gotReward - reward), `step ${t} reward`).toBeLessThan(Math.abs(reward) === 100 ? 1e-9 : 1e-3);
  }
}

describe("LunarLander-v3 against Box2D 2.3 (C++, float32), same draws", () => {
  it("the heuristic's landing: the same 223 actions, observations within 1e-4, at rest with +100", () => {
    const { rows, actions, total, steps } = run(0, (obs) => lunarLanderHeuristic(obs));
    expect(steps).toBe(223);
    expect(actions).toBe(
      "1111111100000000000000000030000000030222222222222222222232222322222322232222223222223222232222322223222222220202200212220202120202020202212020202122002033333222003330000003300000000000000001011000000000000000000000000000000",
    );
    expectRows(rows, [
      [0, [0.00664825458, 1.41115403, 0.673381448, 0.0103758844, -0.00769689586, -0.152530894, 0, 0], 0],
      [20, [0.128899008, 1.29038882, 0.591735482, -0.522734404, 0.11013703, 0.172292084, 0, 0], -1.49027862],
      [40, [0.249911398, 0.934916079, 0.579705298, -0.934854925, 0.252891302, 0.11855527, 0, 0], 4.29689429],
      [60, [0.328886896, 0.590616643, 0.233147651, -0.642508924, 0.373596907, 0.121158168, 0, 0], 1.63477302],
      [80, [0.32911548, 0.339452088, -0.193089813, -0.488804996, 0.374139279, -0.0917951167, 0, 0], 0.581927184],
      [100, [0.24813804, 0.179049551, -0.503848314, -0.289360523, 0.211873218, -0.2334539, 0, 0], 1.53087317],
      [120, [0.122804448, 0.107315764, -0.665268362, -0.137293562, -0.0257673226, -0.220584393, 0, 0], -1.53501149],
      [140, [-0.00548973074, 0.0422262773, -0.57726872, -0.147848412, -0.198765293, -0.116812244, 0, 0], -0.893684949],
      [160, [-0.106489278, -0.019394042, -0.466994673, -0.0284427423, 0.0809292421, 0.0909906477, 0, 1], -0.0465418928],
      [180, [-0.162930682, -0.00141655444, -0.150629714, 0.0334186628, -0.0503620394, -0.116290465, 0, 0], 0.391524802],
      [200, [-0.174112409, 0.00517903315, 0.000370501541, -3.25525252e-5, -0.102470361, 0.0001187905, 0, 0], 0.111478641],
      [220, [-0.174116611, 0.00517960545, 6.64382327e-8, -1.63861795e-8, -0.102466002, -1.22332366e-7, 0, 0], -2.04023367e-6],
      // at rest, yet both flags 0 in Box2D too: each leg straddles a chunk boundary (x = 8 and x = 10), touching
      // two edges, and the original's flag goes to 0 when either contact ends — it does not count contacts
      [223, [-0.174116611, 0.00517960545, 0, 0, -0.10246601, 0, 0, 0], 100],
    ]);
    expect(total).toBeCloseTo(254.0868, 1);
  });

  it("an open-loop action pattern: the same flight, and the crash at step 95 with -100", () => {
    const { rows, steps, total } = run(0, (_, t) => Math.floor(t / 7) % 4);
    expect(steps).toBe(95);
    expectRows(rows, [
      [20, [0.132897943, 1.32240057, 0.589487493, -0.162577495, -0.0179506317, 0.0839911103, 0, 0], 1.34869267],
      [40, [0.259724051, 1.12306499, 0.601300299, -0.692560077, -0.136467963, 0.0395791009, 0, 0], 0.396146404],
      [60, [0.393480867, 0.78299731, 0.717101932, -0.955291331, -0.169684276, -0.185713947, 0, 0], -1.43580181],
      [80, [0.533896267, 0.290952682, 0.765660584, -1.1528815, -0.174095035, -0.0846736059, 0, 0], -2.76042147],
      [95, [0.648862839, -0.160999343, 0.22518155, -0.494334757, -0.188963145, 4.95495701, 1, 0], -100],
    ]);
    expect(total).toBeCloseTo(-153.2619, 1);
  });

  it("the continuous heuristic: the same throttled landing, both legs down, +100 at step 222", () => {
    const { rows, steps, total } = run(0, (obs) => lunarLanderHeuristic(obs, { continuous: true }), true);
    expect(steps).toBe(222);
    expectRows(rows, [
      [40, [0.250627518, 0.93311137, 0.592673898, -0.970285058, 0.236582071, 0.0900421292, 0, 0], 3.48592196],
      [80, [0.344457448, 0.367607474, -0.124865249, -0.343419701, 0.280842721, -0.0941978544, 0, 0], 0.0285283181],
      [120, [0.212464422, 0.163450316, -0.402787596, -0.182110548, -0.0219194088, -0.162809283, 0, 0], -1.04944353],
      [160, [0.0741868019, 0.0375584476, -0.240069345, -0.100748137, -0.194432244, -0.0123134945, 0, 0], 1.13056116],
      [180, [0.0423208252, -0.00788207259, -0.0898138508, -0.0655204952, -0.0100101549, -0.56436646, 1, 1], 11.0333781],
      [222, [0.0359782204, -0.00707887672, 0, 0, -0.00412499392, 0, 1, 1], 100],
    ]);
    expect(total).toBeCloseTo(294.264, 1);
  });

  it("12 more landings from other draws: the same lengths and returns within 0.2", () => {
    // [first draw, steps, return] from the Box2D run
    const reference = [
      [1000, 234, 300.673447],
      [2000, 276, 290.112999],
      [3000, 240, 305.616115],
      [4000, 235, 270.429661],
      [5000, 242, 295.352731],
      [6000, 229, 263.714014],
      [7000, 223, 263.69491],
      [8000, 250, 262.83228],
      [9000, 246, 234.171427],
      [10000, 275, 261.003453],
      [11000, 275, 270.617971],
      [12000, 272, 271.444008],
    ];
    for (const [offset, steps, total] of reference) {
      const r = run(offset, (obs) => lunarLanderHeuristic(obs));
      expect(r.steps, `draws from ${offset}`).toBe(steps);
      expect(Math.abs(r.total - total), `draws from ${offset}: return ${r.total} vs Box2D ${total}`).toBeLessThan(0.2);
    }
  });

  it("with wind (indices floored from their draws): the same lengths, outcomes and returns within 0.2", () => {
    const reference = [
      [0, 105, -192.68102],
      [1000, 109, -34.208295],
      [2000, 113, -74.965413],
      [3000, 246, 243.246471],
    ];
    for (const [offset, steps, total] of reference) {
      const r = run(offset, (obs) => lunarLanderHeuristic(obs), false, true);
      expect(r.steps, `draws from ${offset}`).toBe(steps);
      expect(Math.abs(r.total - total), `draws from ${offset}: return ${r.total} vs Box2D ${total}`).toBeLessThan(0.2);
    }
  });
});
