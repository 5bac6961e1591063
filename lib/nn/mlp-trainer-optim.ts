/**
 * Global-norm clipping and Adam on plain Float32Arrays, for ./mlp-trainer.ts: the same arithmetic
 * as lib/algos/optim.ts (`clipByGlobalNorm`, `createAdam`), which does it on tfjs tensors — the
 * tests check that both give the same numbers for the same gradients.
 *
 *   clip:  ‖g‖ = √(Σᵢ Σ gᵢ²)   g ← g · min(1, maxNorm / (‖g‖ + 1e-6))         (PyTorch's clip_grad_norm_)
 *   Adam:  g += λ·θ (L2)   m ← β₁·m + (1 − β₁)·g   v ← β₂·v + (1 − β₂)·g²
 *          θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√(v / (1 − β₂ᵗ)) + ε)   (θ ← θ − lr·λ·θ instead of L2, if decoupled)
 *
 * Moments are float32 (as tfjs's and PyTorch's); each element's update is computed in float64.
 */
import { checkAdamState, type AdamOptions, type AdamState } from "../algos/optim";

/** √(Σ over every array of Σ g²), summed in float64. */
export function globalGradNorm(grads: readonly Float32Array[]): number {
  let total = 0;
  for (const g of grads) {
    let s0 = 0, s1 = 0;
    const n = g.length;
    let i = 0;
    for (; i + 2 <= n; i += 2) {
      const a = g[i], b = g[i + 1];
      s0 += a * a; s1 += b * b;
    }
    if (i < n) s0 += g[i] * g[i];
    total += s0 + s1;
  }
  return Math.sqrt(total);
}

/**
 * Scales `grads` in place so their global L2 norm is at most `maxNorm` (0 = leave them), as
 * PyTorch's clip_grad_norm_ and lib/algos/optim's clipByGlobalNorm. Pass every network's gradients
 * that one optimiser step covers (`[...policy.grads, ...value.grads]`). Returns the norm before clipping.
 */
export function clipGradNorm(grads: readonly Float32Array[], maxNorm: number): number {
  if (!(maxNorm >= 0)) throw new RangeError(`maxGradNorm must be ≥ 0, got ${maxNorm}`);
  const norm = globalGradNorm(grads);
  if (maxNorm === 0) return norm;
  const scale = Math.min(1, maxNorm / (norm + 1e-6));
  if (scale < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= scale;
  return norm;
}

export interface TypedAdam {
  /** The learning rate of the next step; assign to anneal it. */
  lr: number;
  /** Steps taken so far (t in the bias corrections). */
  readonly steps: number;
  /**
   * One step: updates each `params[i]` in place from `grads[i]` (same lengths). Moments are kept per
   * parameter array (by identity), made on first sight; pass the same arrays every step.
   */
  apply(params: readonly Float32Array[], grads: readonly Float32Array[]): void;
  /** Forgets the moments and the step count (a fresh optimiser on the same settings). */
  reset(): void;
  /** Step count, learning rate and the moments of `params` (zeros where none yet): what a resumed run needs. */
  getState(params: readonly Float32Array[]): AdamState;
  /** Puts back a state from `getState` for the same `params`, in the same order. */
  setState(params: readonly Float32Array[], state: AdamState): void;
}

/** Adam on Float32Arrays, with `createAdam`'s options, defaults, checks and update. */
export function createTypedAdam(opts: AdamOptions): TypedAdam {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false } = opts;
  if (!(opts.lr > 0)) throw new RangeError(`Adam: lr must be > 0, got ${opts.lr}`);
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new RangeError(`Adam: betas must be in [0, 1), got ${beta1}, ${beta2}`);
  if (!(weightDecay >= 0)) throw new RangeError(`Adam: weightDecay must be ≥ 0, got ${weightDecay}`);
  const moments = new Map<Float32Array, { m: Float32Array; v: Float32Array }>();
  let steps = 0;
  const l2 = weightDecay > 0 && !decoupled ? weightDecay : 0;
  const adam: TypedAdam = {
    lr: opts.lr,
    get steps() {
      return steps;
    },
    apply(params, grads) {
      if (params.length !== grads.length) throw new RangeError(`Adam.apply: ${params.length} parameters but ${grads.length} gradients`);
      for (let i = 0; i < params.length; i++) {
        if (params[i].length !== grads[i].length) throw new RangeError(`Adam.apply: parameter ${i} has ${params[i].length} values but its gradient ${grads[i].length}`);
      }
      steps += 1;
      const c1 = 1 - beta1 ** steps, c2 = 1 - beta2 ** steps;
      const lr = adam.lr;
      const stepSize = lr / c1, decay = weightDecay > 0 && decoupled ? lr * weightDecay : 0;
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        let state = moments.get(p);
        if (!state) {
          state = { m: new Float32Array(p.length), v: new Float32Array(p.length) };
          moments.set(p, state);
        }
        adamStep(p, grads[i], state.m, state.v, beta1, beta2, eps, c2, stepSize, l2, decay);
      }
    },
    reset() {
      moments.clear();
      steps = 0;
    },
    getState(params) {
      const read = (p: Float32Array, k: "m" | "v") => Float32Array.from(moments.get(p)?.[k] ?? new Float32Array(p.length));
      return { steps, lr: adam.lr, m: params.map((p) => read(p, "m")), v: params.map((p) => read(p, "v")) };
    },
    setState(params, state) {
      checkAdamState(params.map((p) => p.length), state);
      params.forEach((p, i) => moments.set(p, { m: Float32Array.from(state.m[i]), v: Float32Array.from(state.v[i]) }));
      steps = state.steps;
      adam.lr = state.lr;
    },
  };
  return adam;
}

function adamStep(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  beta1: number, beta2: number, eps: number, c2: number, stepSize: number, l2: number, decay: number,
): void {
  const b1 = 1 - beta1, b2 = 1 - beta2;
  for (let j = 0; j < p.length; j++) {
    const theta = p[j];
    const gj = g[j] + l2 * theta;
    const mj = beta1 * m[j] + b1 * gj;
    const vj = beta2 * v[j] + b2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    // from the stored (float32) moments, as tfjs reads them back
    p[j] = theta - stepSize * (m[j] / (Math.sqrt(v[j] / c2) + eps)) - decay * theta;
  }
}
