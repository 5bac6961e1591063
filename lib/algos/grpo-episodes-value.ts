/**
 * The `value` baseline of GRPO over episodes: a value head on GPT-2 and GAE over the agent's turns
 * (the GRPO-with-GAE design: a critic where groups are not enough).
 *
 *   s_k    = the conversation up to the start of agent turn k (the token "Agent:" just written)
 *   h_k    = GPT-2's final hidden state there (the policy's own features, read without gradient:
 *            the value loss trains the head, not the transformer)
 *   V(s_k) = w₂ · tanh(W₁ h_k + b₁) + b₂                          a small MLP head
 *   r_k    = 0 for every turn but the last, whose reward is the episode's composed reward R
 *   δ_k    = r_k + γ V(s_{k+1}) − V(s_k),   V after the last turn = 0 (the episode is over)
 *   A_k    = Σ_j (γλ)^j δ_{k+j}                                    (./grpo-episodes-baselines.ts turnGae)
 *   loss_V = mean_k (V(s_k) − (A_k + V(s_k)))²                      MSE to the λ-returns, a few Adam steps
 *
 * Every agent token of turn k gets A_k (standardised over the batch's turns), so a turn that made
 * the episode likelier to succeed — the lookup, say — gets credit apart from the answer after it.
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../core/rng";
import { attentionBias } from "../nn/gpt2/batch";
import { transformer, type Gpt2 } from "../nn/gpt2/model";
import type { ConversationEpisode } from "./conversation-rollout";
import { turnGae } from "./grpo-episodes-baselines";
import { createAdam, type Adam } from "../nn/optim";

export interface ValueHead {
  /** V(s_k) for each episode's turn starts (the indices in its tokens of the token before each agent turn). */
  values(episodes: readonly ConversationEpisode[]): number[][];
  /** `epochs` Adam steps of MSE towards `targets` (same layout as values()); returns the last loss. */
  fit(episodes: readonly ConversationEpisode[], targets: readonly (readonly number[])[], epochs?: number): number;
  dispose(): void;
}

/** Index of the token before each agent turn (where the policy is about to act), from the agent mask. */
export function turnStates(e: ConversationEpisode): number[] {
  const out: number[] = [];
  for (let t = 1; t < e.tokens.length; t++) if (e.agentMask[t] === 1 && e.agentMask[t - 1] === 0) out.push(t - 1);
  return out;
}

export function createValueHead(model: Gpt2, opts: { learningRate: number; seed: number; hidden?: number }): ValueHead {
  const d = model.config.nEmbd, H = opts.hidden ?? 64;
  const rng = createRng(opts.seed ^ 0x5a5a);
  const init = (n: number, scale: number) => Float32Array.from({ length: n }, () => rng.normal() * scale);
  const w1 = tf.variable(tf.tensor2d(init(d * H, 1 / Math.sqrt(d)), [d, H]), true, "value/w1");
  const b1 = tf.variable(tf.zeros([H]), true, "value/b1");
  const w2 = tf.variable(tf.tensor2d(init(H, 0.01), [H, 1]), true, "value/w2");
  const b2 = tf.variable(tf.zeros([1]), true, "value/b2");
  const params = [w1, b1, w2, b2];
  const adam: Adam = createAdam({ lr: opts.learningRate });

  /** Hidden states [n, d] at every episode's turn starts, and where each episode's rows are. */
  const features = (episodes: readonly ConversationEpisode[]): { h: tf.Tensor2D; spans: [number, number][] } => tf.tidy(() => {
    const T = Math.max(...episodes.map((e) => e.tokens.length)), B = episodes.length;
    const ids = new Int32Array(B * T);
    episodes.forEach((e, b) => ids.set(e.tokens, b * T));
    const pos = Int32Array.from({ length: B * T }, (_, i) => i % T);
    const hidden = transformer(model.params, model.config, {
      ids: tf.tensor2d(ids, [B, T], "int32"), positions: tf.tensor2d(pos, [B, T], "int32"), bias: attentionBias(null, B, T, T),
    }); // right padding: causal attention keeps it out of the real tokens
    const rows: number[] = [], spans: [number, number][] = [];
    episodes.forEach((e, b) => {
      const s = turnStates(e);
      spans.push([rows.length, rows.length + s.length]);
      for (const t of s) rows.push(b * T + t);
    });
    return { h: tf.gather(hidden, tf.tensor1d(rows, "int32")) as tf.Tensor2D, spans };
  });
  const predict = (h: tf.Tensor2D) => tf.reshape(tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(h, w1), b1)), w2), b2), [-1]) as tf.Tensor1D;

  return {
    values(episodes) {
      const { h, spans } = features(episodes);
      const v = tf.tidy(() => predict(h)).dataSync();
      h.dispose();
      return spans.map(([a, b]) => Array.from(v.subarray(a, b)));
    },
    fit(episodes, targets, epochs = 4) {
      const { h, spans } = features(episodes);
      const y = tf.tensor1d(spans.flatMap(([a, b], i) => {
        if (targets[i].length !== b - a) throw new RangeError(`value targets of episode ${i}: ${targets[i].length}, expected ${b - a} (one per agent turn)`);
        return targets[i];
      }));
      let last = NaN;
      try {
        for (let k = 0; k < epochs; k++) {
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(predict(h), y))) as tf.Scalar, params);
            last = value.dataSync()[0];
            adam.apply(params, params.map((p) => grads[p.name]));
          });
        }
      } finally {
        h.dispose();
        y.dispose();
      }
      return last;
    },
    dispose() {
      tf.dispose(params);
      adam.dispose();
    },
  };
}

/**
 * Per-token advantages from the value head and GAE over turns (see the module comment), laid out as
 * the episodes' token batch (`length` columns, column t − 1 for token t), standardised over the
 * batch's turns; then the head is fitted to the λ-returns. Returns the advantages and the value loss.
 */
export function valueAdvantages(head: ValueHead, episodes: readonly ConversationEpisode[], rewards: readonly number[], o: { gamma: number; lambda: number; length: number }): { tokenAdvantages: Float32Array[]; valueLoss: number; turnAdvantages: number[][] } {
  const values = head.values(episodes);
  const gae = episodes.map((e, i) => {
    const K = values[i].length;
    const r = Array.from({ length: K }, (_, k) => (k === K - 1 ? rewards[i] : 0));
    return turnGae(r, values[i], 0, o.gamma, o.lambda);
  });
  const flat = gae.flatMap((g) => g.advantages);
  const mean = flat.reduce((a, b) => a + b, 0) / Math.max(flat.length, 1);
  const std = Math.sqrt(flat.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(flat.length - 1, 1));
  const turnAdvantages = gae.map((g) => g.advantages.map((a) => (a - mean) / (std + 1e-4)));
  const tokenAdvantages = episodes.map((e, i) => {
    const row = new Float32Array(o.length);
    let k = -1;
    for (let t = 1; t < e.tokens.length; t++) {
      if (e.agentMask[t] === 1 && e.agentMask[t - 1] === 0) k++;
      if (e.agentMask[t] === 1 && k >= 0) row[t - 1] = turnAdvantages[i][k];
    }
    return row;
  });
  const valueLoss = head.fit(episodes, gae.map((g) => g.returns));
  return { tokenAdvantages, valueLoss, turnAdvantages };
}
