/**
 * Choosing the next token from a row of logits, on plain Float32Arrays, seeded by our Rng.
 *
 *   greedy               argmax (the first, on ties); also what temperature 0 means
 *   temperature T        softmax(logits / T): T < 1 sharpens, T > 1 flattens
 *   top-k                keep the k most probable tokens (ties broken by the lower id)
 *   top-p (nucleus)      keep the smallest set of most probable tokens whose probability reaches p
 *                        (Holtzman et al. 2020), after top-k if both are set
 * then renormalise what is kept and draw from it.
 *
 * Each draw reports two log-probabilities of the chosen token:
 *   logProb         log softmax(logits / T) — the policy's own (untruncated) log-prob at the sampling
 *                   temperature, what `model.logProbs(prompts, completions, { temperature: T })`
 *                   recomputes: the "old log-probs" of PPO/GRPO ratios;
 *   samplerLogProb  log of the renormalised, truncated distribution actually sampled from (equal to
 *                   logProb when neither top-k nor top-p removes anything; 0 when greedy).
 */
import type { Rng } from "../../core/rng";

export interface SamplingOptions {
  /** Softmax temperature; 0 = greedy. Default 1. */
  temperature?: number;
  /** Keep only the k most probable tokens; 0 (default) = all. */
  topK?: number;
  /** Keep the smallest most-probable set reaching this probability; 1 (default) = all. */
  topP?: number;
  /** Always take the argmax (same as temperature 0). */
  greedy?: boolean;
}

export interface SampledToken {
  token: number;
  logProb: number;
  samplerLogProb: number;
}

/** A distribution over a subset of the vocabulary: token ids and their (renormalised) probabilities. */
export interface TruncatedDistribution {
  ids: Int32Array;
  probs: Float64Array;
}

export function checkSamplingOptions(opts: SamplingOptions): void {
  const { temperature = 1, topK = 0, topP = 1 } = opts;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be ≥ 0 and finite, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a non-negative integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
}

/** Index of the largest value (the first, on ties). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** log softmax(logits / temperature)[token]. */
export function logSoftmaxAt(logits: ArrayLike<number>, token: number, temperature = 1): number {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > m) m = logits[i];
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp((logits[i] - m) / temperature);
  return (logits[token] - m) / temperature - Math.log(s);
}

/**
 * The `count` largest of `values` over `candidates` (ids), most probable first, ties by lower id.
 * Sorting only candidates keeps this cheap when they are few.
 */
function largest(values: Float64Array, candidates: Int32Array): Int32Array {
  const order = Int32Array.from(candidates);
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order;
}

/**
 * The distribution `sample` draws from (after temperature, top-k, top-p), as ids and renormalised
 * probabilities, most probable first. Greedy options give the argmax with probability 1.
 */
export function samplingDistribution(logits: ArrayLike<number>, opts: SamplingOptions = {}): TruncatedDistribution {
  checkSamplingOptions(opts);
  const { temperature = 1, topK = 0, topP = 1 } = opts;
  const V = logits.length;
  if (opts.greedy || temperature === 0) return { ids: Int32Array.of(argmax(logits)), probs: Float64Array.of(1) };
  let m = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] > m) m = logits[i];
  const p = new Float64Array(V);
  let total = 0;
  for (let i = 0; i < V; i++) total += p[i] = Math.exp((logits[i] - m) / temperature);
  for (let i = 0; i < V; i++) p[i] /= total;
  if (topK === 0 && topP >= 1) return { ids: Int32Array.from({ length: V }, (_, i) => i), probs: p };

  // candidates: when the tokens above a small threshold already hold enough mass, only they can be
  // kept (top-p needs mass topP; top-k needs k of them), so only they are sorted
  let candidates: Int32Array | undefined;
  const threshold = 1e-4 * (1 / V);
  let mass = 0, count = 0;
  for (let i = 0; i < V; i++) if (p[i] >= threshold) { mass += p[i]; count++; }
  if ((topK === 0 || count >= topK) && (topP >= 1 || mass >= topP)) {
    candidates = new Int32Array(count);
    for (let i = 0, j = 0; i < V; i++) if (p[i] >= threshold) candidates[j++] = i;
  } else {
    candidates = Int32Array.from({ length: V }, (_, i) => i);
  }
  let kept = largest(p, candidates);
  if (topK > 0 && kept.length > topK) kept = kept.subarray(0, topK);
  if (topP < 1) {
    let keptMass = 0;
    for (const id of kept) keptMass += p[id];
    // after top-k, p is relative to what top-k kept (as Hugging Face's warpers do)
    let cum = 0, n = 0;
    while (n < kept.length) {
      cum += p[kept[n]] / keptMass;
      n++;
      if (cum >= topP - 1e-12) break;
    }
    kept = kept.subarray(0, n);
  }
  const probs = new Float64Array(kept.length);
  let s = 0;
  for (let j = 0; j < kept.length; j++) s += probs[j] = p[kept[j]];
  for (let j = 0; j < kept.length; j++) probs[j] /= s;
  return { ids: Int32Array.from(kept), probs };
}

/** Draws the next token from one row of logits (see the module comment). `rng` is unused when greedy. */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng | undefined): SampledToken {
  const { temperature = 1 } = opts;
  const greedy = opts.greedy || temperature === 0;
  if (greedy) {
    const token = argmax(logits);
    return { token, logProb: logSoftmaxAt(logits, token, 1), samplerLogProb: 0 };
  }
  if (!rng) throw new RangeError("sampling needs an rng (or greedy: true)");
  if (!opts.topK && (opts.topP ?? 1) >= 1) return sampleFull(logits, temperature, rng);
  const dist = samplingDistribution(logits, opts);
  const j = rng.categorical(dist.probs);
  const token = dist.ids[j];
  return { token, logProb: logSoftmaxAt(logits, token, temperature), samplerLogProb: Math.log(dist.probs[j]) };
}

let scratch = new Float64Array(0);

/** Plain softmax(logits / T) sampling in two passes over the row (the common case, and the fast one). */
function sampleFull(logits: ArrayLike<number>, temperature: number, rng: Rng): SampledToken {
  const V = logits.length;
  if (scratch.length < V) scratch = new Float64Array(V);
  let m = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] > m) m = logits[i];
  let total = 0;
  for (let i = 0; i < V; i++) total += scratch[i] = Math.exp((logits[i] - m) / temperature);
  let u = rng.next() * total, token = V - 1;
  for (let i = 0; i < V; i++) {
    u -= scratch[i];
    if (u < 0) { token = i; break; }
  }
  while (scratch[token] === 0 && token > 0) token--; // rounding left u a hair above 0: the last token with weight
  const logProb = (logits[token] - m) / temperature - Math.log(total);
  return { token, logProb, samplerLogProb: logProb };
}
