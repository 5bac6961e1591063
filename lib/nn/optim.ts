/**
 * Optimisation, shared by every trainer: Adam (Kingma & Ba 2015, PyTorch's formulation) and clipping
 * of the global gradient norm (Pascanu et al. 2013, PyTorch's `clip_grad_norm_`), each in two forms
 * side by side — on tfjs tensors (`createAdam`, `clipByGlobalNorm`, `minimize`: what autograd
 * trainers use) and on plain Float32Arrays (`createTypedAdam`, `clipGradNorm`: the typed-array MLP
 * engine, ./mlp/trainer.ts). tests/nn-optim.test.ts checks that both forms give the same numbers for
 * the same gradients.
 *
 *   clip:  ‖g‖ = √(Σᵢ Σ gᵢ²)      g ← g · min(1, maxNorm / (‖g‖ + 1e-6))          (0 = leave g alone)
 *   Adam:  m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²          (g += λ·θ first, with L2 weight decay)
 *          θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)          (θ ← θ − lr·λ·θ too, if decoupled: AdamW)
 *
 * Our own Adam rather than `tf.train.adam`, for three reasons: the learning rate can change between
 * steps (PPO anneals it), ε is PyTorch's (1e-8; tfjs uses 1e-7) so numbers compare with reference
 * implementations, and weight decay is there, L2 or decoupled, with nanoGPT's groups as an option
 * (`decay: "matrices"`: weights of matrix products and embeddings decay, biases and LayerNorm's
 * gains and biases do not — what nanoGPT's configure_optimizers and Hugging Face's Trainer do).
 * Moments are float32 in both forms (as tfjs's and PyTorch's); the typed form computes each
 * element's update in float64 from the stored moments, as tfjs reads them back.
 *
 * On the wasm backend with tsrl's kernel engine (./threads), a parameter's tfjs step is one fused
 * pass on all cores (the same float32 operations in the same order: the same numbers), written in
 * place when nothing else shares the parameter's or moments' data, and `minimize` on large models
 * (≥ FUSED_CLIP_MIN_SIZE gradient elements, GPT-2) takes the norm on all cores too and folds the
 * clipping scale into that pass instead of scaling every gradient.
 */
import * as tf from "@tensorflow/tfjs";
import { engineAdamStep, engineAdamStepInPlace, engineSumOfSquares, kernelEngine } from "./threads/tf-kernels";

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  /** Added to √v̂ (default 1e-8, PyTorch's; CleanRL's PPO uses 1e-5). */
  eps?: number;
  /** λ of the weight decay (default 0). */
  weightDecay?: number;
  /** Decoupled decay (AdamW: θ −= lr·λ·θ) instead of L2 added to the gradient (PyTorch Adam's `weight_decay`). */
  decoupled?: boolean;
  /**
   * Which parameters weight decay applies to: "all" (default), or "matrices" — parameters of rank
   * ≥ 2 only (nanoGPT's groups: matmul weights and embeddings decay; biases and LayerNorm do not).
   * The typed form sees flat arrays and takes "all" only.
   */
  decay?: "all" | "matrices";
}

/** The settings with their defaults, checked (both forms share them). */
function adamSettings(opts: AdamOptions): Required<Omit<AdamOptions, "lr">> {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false, decay = "all" } = opts;
  if (!(opts.lr > 0)) throw new RangeError(`Adam: lr must be > 0, got ${opts.lr}`);
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new RangeError(`Adam: betas must be in [0, 1), got ${beta1}, ${beta2}`);
  if (!(weightDecay >= 0)) throw new RangeError(`Adam: weightDecay must be ≥ 0, got ${weightDecay}`);
  if (decay !== "all" && decay !== "matrices") throw new RangeError(`Adam: decay must be "all" or "matrices", got ${JSON.stringify(decay)}`);
  return { beta1, beta2, eps, weightDecay, decoupled, decay };
}

/** The clipping factor min(1, maxNorm / (‖g‖ + 1e-6)) for a gradient norm (1 when maxNorm is 0: no clipping). */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm >= 0)) throw new RangeError(`maxGradNorm must be ≥ 0, got ${maxNorm}`);
  return maxNorm === 0 ? 1 : Math.min(1, maxNorm / (norm + 1e-6));
}

// ─── on tfjs tensors ─────────────────────────────────────────────────────────────────────────────
export interface Adam {
  /** The learning rate of the next step; assign to anneal it. */
  lr: number;
  /** Steps taken so far (t in the bias corrections). */
  readonly steps: number;
  /**
   * One step on `params` with their gradients `grads` (same order), each gradient multiplied by
   * `gradScale` first (a clipping scale; default 1). Call inside tf.tidy or not: it tidies itself.
   */
  apply(params: readonly tf.Variable[], grads: readonly tf.Tensor[], gradScale?: number): void;
  /** Frees the moment estimates. */
  dispose(): void;
  /** The step count, learning rate and moments of `params` (zeros where a parameter has none yet): what a resumed run needs. */
  getState(params: readonly tf.Variable[]): AdamState;
  /** Puts back a state from `getState` for the same `params`, in the same order; throws naming a mismatched one. */
  setState(params: readonly tf.Variable[], state: AdamState): void;
}

/** An Adam optimiser's state (either form), parameter by parameter in the caller's order (lib/algos/resume stores it). */
export interface AdamState {
  steps: number;
  lr: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** Throws naming the first parameter whose moments do not fit. */
export function checkAdamState(sizes: readonly number[], state: AdamState): void {
  if (!Number.isInteger(state.steps) || state.steps < 0 || !(state.lr > 0)) throw new RangeError(`Adam state: steps ${state.steps} and lr ${state.lr}, expected an integer ≥ 0 and a positive number`);
  if (state.m.length !== sizes.length || state.v.length !== sizes.length) throw new RangeError(`Adam state: moments of ${state.m.length} parameters, expected ${sizes.length}`);
  sizes.forEach((n, i) => {
    if (state.m[i].length !== n || state.v[i].length !== n) throw new RangeError(`Adam state: parameter ${i} has ${n} values but moments of ${state.m[i].length} and ${state.v[i].length}`);
  });
}

export function createAdam(opts: AdamOptions): Adam {
  const { beta1, beta2, eps, weightDecay, decoupled, decay } = adamSettings(opts);
  const moments = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();
  let steps = 0;
  const adam: Adam = {
    lr: opts.lr,
    get steps() {
      return steps;
    },
    apply(params, grads, gradScale = 1) {
      if (params.length !== grads.length) throw new RangeError(`Adam.apply: ${params.length} parameters but ${grads.length} gradients`);
      if (!Number.isFinite(gradScale)) throw new RangeError(`Adam.apply: gradScale must be a finite number, got ${gradScale}`);
      steps += 1;
      const c1 = 1 - beta1 ** steps, c2 = 1 - beta2 ** steps;
      const lr = adam.lr;
      const fused = kernelEngine() !== undefined;
      tf.tidy(() => {
        params.forEach((p, i) => {
          let state = moments.get(p);
          if (!state) {
            // each in its own tidy, so the zeros tensor is gone and the variable alone holds its data
            // (the fused step writes moments in place only then)
            state = { m: tf.tidy(() => tf.variable(tf.zerosLike(p), false)), v: tf.tidy(() => tf.variable(tf.zerosLike(p), false)) };
            moments.set(p, state);
          }
          const lambda = decay === "all" || p.rank >= 2 ? weightDecay : 0;
          if (fused && p.dtype === "float32" && grads[i].dtype === "float32") {
            const scalars = { scale: gradScale, l2: decoupled ? 0 : lambda, beta1, beta2, c2, eps, stepSize: lr / c1, decay: decoupled ? lr * lambda : 0 };
            if (engineAdamStepInPlace(p, grads[i], state.m, state.v, scalars)) return;
            const [next, m, v] = engineAdamStep(p, grads[i], state.m, state.v, scalars);
            state.m.assign(m);
            state.v.assign(v);
            p.assign(next);
            return;
          }
          let g = gradScale === 1 ? grads[i] : tf.mul(grads[i], gradScale);
          if (lambda > 0 && !decoupled) g = tf.add(g, tf.mul(lambda, p));
          const m = tf.add(tf.mul(beta1, state.m), tf.mul(1 - beta1, g));
          const v = tf.add(tf.mul(beta2, state.v), tf.mul(1 - beta2, tf.square(g)));
          state.m.assign(m);
          state.v.assign(v);
          let next = tf.sub(p, tf.mul(lr / c1, tf.div(m, tf.add(tf.sqrt(tf.div(v, c2)), eps))));
          if (lambda > 0 && decoupled) next = tf.sub(next, tf.mul(lr * lambda, p));
          p.assign(next);
        });
      });
    },
    dispose() {
      for (const { m, v } of moments.values()) {
        m.dispose();
        v.dispose();
      }
      moments.clear();
    },
    getState(params) {
      const read = (p: tf.Variable, k: "m" | "v") => {
        const s = moments.get(p);
        return s ? Float32Array.from(s[k].dataSync() as Float32Array) : new Float32Array(p.size);
      };
      return { steps, lr: adam.lr, m: params.map((p) => read(p, "m")), v: params.map((p) => read(p, "v")) };
    },
    setState(params, state) {
      checkAdamState(params.map((p) => p.size), state);
      params.forEach((p, i) => {
        const old = moments.get(p);
        old?.m.dispose();
        old?.v.dispose();
        moments.set(p, { m: tf.variable(tf.tensor(state.m[i], p.shape), false), v: tf.variable(tf.tensor(state.v[i], p.shape), false) });
      });
      steps = state.steps;
      adam.lr = state.lr;
    },
  };
  return adam;
}

/**
 * Scales `grads` so their global L2 norm ‖g‖ = √(Σ‖gᵢ‖²) is at most `maxNorm` (0 = leave them),
 * as PyTorch's clip_grad_norm_: g ← g · min(1, maxNorm / (‖g‖ + 1e-6)). Returns the clipped
 * gradients and the norm before clipping. Call inside tf.tidy.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  clipScale(0, maxNorm); // checks maxNorm
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  if (maxNorm === 0) return { grads: [...grads], norm };
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}

/**
 * One optimiser step on `loss()`: gradients of the loss with respect to `params`, clipped to
 * `maxGradNorm`, applied by `optimizer`. Returns the loss and the gradient norm before clipping,
 * as scalars owned by the caller's tf.tidy. Tensors the loss function wants to hand out (its
 * parts, for logging) must be `tf.keep`-ed by it, since the gradient computation tidies its own.
 */
export function minimize(loss: () => tf.Scalar, params: readonly tf.Variable[], optimizer: Pick<Adam, "apply">, maxGradNorm: number): { loss: tf.Scalar; gradNorm: tf.Scalar } {
  const { value, grads } = tf.variableGrads(loss, [...params]);
  return { loss: value, gradNorm: applyClipped(params, params.map((p) => grads[p.name]), optimizer, maxGradNorm) };
}

/**
 * `minimize` after its gradients (for a caller that sums them itself, e.g. GPT-2's microbatches):
 * their global norm clipped to `maxGradNorm`, the optimiser's step. Returns the norm before
 * clipping, a scalar owned by the caller's tf.tidy.
 */
export function applyClipped(params: readonly tf.Variable[], grads: readonly tf.Tensor[], optimizer: Pick<Adam, "apply">, maxGradNorm: number): tf.Scalar {
  if (kernelEngine() && grads.reduce((n, x) => n + x.size, 0) >= FUSED_CLIP_MIN_SIZE && grads.every((x) => x.dtype === "float32")) {
    const norm = Math.sqrt(engineSumOfSquares(grads));
    optimizer.apply(params, grads, clipScale(norm, maxGradNorm));
    return tf.scalar(norm);
  }
  const clipped = clipByGlobalNorm(grads, maxGradNorm);
  optimizer.apply(params, clipped.grads);
  return clipped.norm;
}

/**
 * Gradient elements from which `minimize` takes the norm on the kernel engine (float64 sums of
 * per-chunk float32 sums) and folds the clipping into the Adam pass. Below it (the RL policies:
 * thousands of parameters) tfjs's ops cost as little and keep their numbers exactly as before.
 */
export const FUSED_CLIP_MIN_SIZE = 1_000_000;

// ─── on Float32Arrays ────────────────────────────────────────────────────────────────────────────

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
 * PyTorch's clip_grad_norm_ and `clipByGlobalNorm`. Pass every network's gradients
 * that one optimiser step covers (`[...policy.grads, ...value.grads]`). Returns the norm before clipping.
 */
export function clipGradNorm(grads: readonly Float32Array[], maxNorm: number): number {
  const norm = globalGradNorm(grads);
  const scale = clipScale(norm, maxNorm);
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
  const { beta1, beta2, eps, weightDecay, decoupled, decay } = adamSettings(opts);
  if (decay !== "all") throw new RangeError(`Adam (typed arrays): decay must be "all", got ${JSON.stringify(decay)}: flat arrays carry no rank`);
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
