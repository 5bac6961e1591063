/**
 * Multi-turn rollouts of a GPT-2 agent (lib/algos/conversation-rollout.ts): the token sequence is the
 * environment's pieces and the agent's sampled tokens, the mask marks exactly the agent's, the
 * recorded log-probs are the model's, a GRPO loss on the batch has exactly zero gradient through the
 * environment's tokens, one GRPO-style update runs; evaluateChatModel reports OrderDesk-v0's card.
 * (A model that plays OrderDesk-v0 well takes minutes to pretrain: lib/cli/order-desk-pretrain.ts
 * measures the real one.)
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { episodeBatchTensors, episodeTokenBatch, NEWLINE_ID, rolloutConversations, type ConversationEpisode } from "../lib/algos/conversation-rollout";
import { evaluateChatModel } from "../lib/algos/conversation-eval";
import { stopGradient } from "../lib/algos/grpo-lm";
import { grpoLmLoss, lmGroupAdvantages, type GrpoLmLossOptions } from "../lib/algos/grpo-lm-loss";
import { createAdam } from "../lib/nn/optim";
import { createRng } from "../lib/core/rng";
import type { ConversationEnv } from "../lib/envs/conversation/env";
import { chatFormat, encodeConversation, type Message } from "../lib/envs/conversation/messages";
import { ORDER_DESK_ID } from "../lib/envs/order-desk";
import { initBackend } from "../lib/nn/backend";
import { GPT2_TINY, createGpt2, type Gpt2 } from "../lib/nn/gpt2";
import { loadGpt2Tokenizer } from "../lib/nn/gpt2/tokenizer";
import { maxDiff } from "./max-diff";

beforeAll(async () => {
  await initBackend({ quiet: true });
});

const tok = loadGpt2Tokenizer();
const ECHO_CHAT = chatFormat({ user: "User", assistant: "Agent", tool: "Tool" });

/** A conversation env that answers every agent turn with a tool message and truncates after `turns` turns. */
function echoEnv(turns: number): ConversationEnv {
  let transcript: Message[] = [], n = 0;
  return {
    id: "Echo-v0", chat: ECHO_CHAT, maxTurns: turns,
    get transcript() { return transcript.map((m) => ({ ...m })); },
    reset(args = {}) {
      n = 0;
      transcript = [{ role: "user", content: `start ${String(args.options?.start ?? 0)}` }];
      return { messages: [...transcript], info: {} };
    },
    step(text) {
      n++;
      transcript.push({ role: "assistant", content: text.trim() });
      const done = n >= turns;
      const reply: Message[] = done ? [] : [{ role: "tool", content: `ok ${n}` }];
      transcript.push(...reply);
      return { messages: reply, reward: text.length % 3, terminated: false, truncated: done, info: { turns: n } };
    },
  };
}

const smallModel = (seed: number): Gpt2 => createGpt2({ ...GPT2_TINY, nLayer: 1, nHead: 2, nEmbd: 32, nPositions: 128 }, createRng(seed));

describe("multi-turn rollouts of a GPT-2 agent", () => {
  let model: Gpt2;
  let episodes: ConversationEpisode[];
  const G = 2;
  beforeAll(() => {
    model = smallModel(1);
    episodes = rolloutConversations(model, tok, () => echoEnv(3), [{ start: 0 }, { start: 1 }], { groupSize: G, maxTurnTokens: 6, rng: createRng(7), temperature: 1 });
  });

  it("G episodes per start, each the environment's pieces around the agent's sampled turns", () => {
    expect(episodes.map((e) => e.start)).toEqual([0, 0, 1, 1]);
    for (const e of episodes) {
      expect(e.truncated).toBe(true);
      expect(e.turnEnds).toHaveLength(3);
      expect(e.tokens[0]).toBe(tok.eosId);
      const opening = encodeConversation(ECHO_CHAT, tok, [e.messages[0]], { startId: tok.eosId, openAgentTurn: true }).ids;
      expect(e.tokens.slice(0, opening.length)).toEqual(opening);
      // the agent's tokens, turn by turn, are its messages; the rest is the environment's
      const agentTurns = e.messages.filter((m) => m.role === "assistant").map((m) => m.content);
      let start = opening.length, agentTokens = 0;
      e.turnEnds.forEach((end, k) => {
        const turn = e.tokens.slice(start, end);
        agentTokens += turn.length;
        expect(turn.length).toBeGreaterThan(0);
        expect(turn.length).toBeLessThanOrEqual(6);
        expect(Array.from(e.agentMask.slice(start, end))).toEqual(turn.map(() => 1));
        const text = tok.decode(turn[turn.length - 1] === NEWLINE_ID ? turn.slice(0, -1) : turn);
        expect(text.trim()).toBe(agentTurns[k]);
        if (k + 1 < e.turnEnds.length) {
          const envPart = encodeConversation(ECHO_CHAT, tok, [{ role: "tool", content: `ok ${k + 1}` }], { openAgentTurn: true }).ids;
          const lead = turn.at(-1) === NEWLINE_ID ? [] : tok.encode("\n");
          expect(e.tokens.slice(end, end + lead.length + envPart.length)).toEqual([...lead, ...envPart]);
          expect(Array.from(e.agentMask.slice(end, end + lead.length + envPart.length)).every((m) => m === 0)).toBe(true);
          start = end + lead.length + envPart.length;
        }
      });
      expect(e.agentMask.reduce((a, b) => a + b, 0)).toBe(agentTokens);
      expect(e.tokens.length).toBe(e.turnEnds.at(-1));
      expect(e.logProbs.every((lp, t) => (e.agentMask[t] ? lp < 0 : lp === 0))).toBe(true);
      expect(e.turnRewards).toHaveLength(3);
    }
  });

  it("the recorded log-probs are the model's own at the agent's tokens", () => {
    const batch = episodeTokenBatch(episodes);
    const lp = tf.tidy(() => model.logProbs(batch.promptIds, batch.completionIds, { temperature: 1 }).dataSync() as Float32Array);
    const atAgent = (x: ArrayLike<number>) => Array.from(x).filter((_, i) => batch.mask[i] === 1);
    expect(atAgent(lp).length).toBe(episodes.reduce((a, e) => a + e.agentMask.reduce((s, m) => s + m, 0), 0));
    expect(maxDiff(atAgent(lp), atAgent(batch.oldLogProbs))).toBeLessThan(2e-4);
  });

  it("is seeded: the same rng seed gives the same episodes, another seed others", () => {
    const again = rolloutConversations(model, tok, () => echoEnv(3), [{ start: 0 }, { start: 1 }], { groupSize: G, maxTurnTokens: 6, rng: createRng(7) });
    expect(again.map((e) => e.tokens)).toEqual(episodes.map((e) => e.tokens));
    const other = rolloutConversations(model, tok, () => echoEnv(3), [{ start: 0 }, { start: 1 }], { groupSize: G, maxTurnTokens: 6, rng: createRng(8) });
    expect(other.map((e) => e.tokens)).not.toEqual(episodes.map((e) => e.tokens));
  });

  it("the loss has exactly zero gradient through the environment's tokens", () => {
    const batch = episodeTokenBatch(episodes);
    const B = episodes.length, C = batch.length;
    const opts: GrpoLmLossOptions = { lossType: "dapo", epsilon: 0.2, beta: 0, importanceSamplingLevel: "token", maxCompletionLength: C };
    const advantages = tf.tensor1d([1, -1, 0.5, -0.5]);
    const { mask, oldLogProbs } = episodeBatchTensors(batch);
    const logp = tf.tidy(() => model.logProbs(batch.promptIds, batch.completionIds));
    // d loss / d log π at every column: zero at every environment token, non-zero at the agent's
    const probe = tf.variable(tf.zeros([B, C]));
    const grads = tf.tidy(() => tf.variableGrads(() => grpoLmLoss({ logp: tf.add(logp, probe) as tf.Tensor2D, oldLogp: oldLogProbs, advantages, mask }, opts).loss, [probe]).grads[probe.name].dataSync() as Float32Array);
    let envTokens = 0, agentNonZero = 0;
    for (let i = 0; i < B * C; i++) {
      if (batch.mask[i] === 0) {
        envTokens++;
        expect(Object.is(grads[i], 0) || Object.is(grads[i], -0), `column ${i}`).toBe(true);
      } else if (grads[i] !== 0) agentNonZero++;
    }
    expect(envTokens).toBeGreaterThan(40);
    expect(agentNonZero).toBe(batch.mask.reduce((a, b) => a + b, 0));
    // and the weights' gradient is the one of the agent's tokens alone (environment log-probs cut off the graph)
    const params = Object.values(model.params);
    const weightGrads = (cut: boolean) => tf.tidy(() => {
      const { grads: g } = tf.variableGrads(() => {
        let lp = model.logProbs(batch.promptIds, batch.completionIds);
        if (cut) lp = tf.where(tf.cast(mask, "bool"), lp, stopGradient(lp)) as tf.Tensor2D;
        return grpoLmLoss({ logp: lp, oldLogp: oldLogProbs, advantages, mask }, opts).loss;
      }, params);
      return params.map((p) => g[p.name].dataSync() as Float32Array);
    });
    const full = weightGrads(false), agentOnly = weightGrads(true);
    full.forEach((g, k) => expect(maxDiff(g, agentOnly[k]), params[k].name).toBe(0));
    expect(full.some((g) => g.some((x) => x !== 0))).toBe(true);
    tf.dispose([probe, logp, mask, oldLogProbs, advantages]);
  });

  it("one GRPO-style update on episodes runs: group advantages, the masked loss, an Adam step", () => {
    const m = smallModel(2);
    const eps = rolloutConversations(m, tok, () => echoEnv(2), [{ start: 0 }, { start: 1 }], { groupSize: 4, maxTurnTokens: 5, rng: createRng(3) });
    const before = tf.memory().numTensors; // after the rollout: generation keeps the model's transposed head (freed by dispose)
    const returns = eps.map((e) => e.turnRewards.reduce((a, b) => a + b, 0));
    const adv = lmGroupAdvantages(returns, 4, "group");
    const batch = episodeTokenBatch(eps);
    const params = Object.values(m.params);
    const w0 = params[0].dataSync().slice();
    const adam = createAdam({ lr: 1e-3 });
    const loss = tf.tidy(() => {
      const { mask, oldLogProbs } = episodeBatchTensors(batch);
      const { value, grads } = tf.variableGrads(() => {
        const logp = m.logProbs(batch.promptIds, batch.completionIds);
        return grpoLmLoss({ logp, oldLogp: stopGradient(logp) as tf.Tensor2D, advantages: tf.tensor1d(adv.advantages), mask }, { lossType: "dapo", epsilon: 0.2, beta: 0, importanceSamplingLevel: "token", maxCompletionLength: batch.length }).loss;
      }, params);
      adam.apply(params, params.map((p) => grads[p.name]));
      return value.dataSync()[0];
    });
    expect(Number.isFinite(loss)).toBe(true);
    if (adv.fracZeroStd < 1) expect(maxDiff(params[0].dataSync(), w0)).toBeGreaterThan(0);
    adam.dispose();
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(0);
    m.dispose();
  });

  it("checks its options", () => {
    expect(() => rolloutConversations(model, tok, () => echoEnv(1), [{}], { groupSize: 0, rng: createRng(1) })).toThrow(/groupSize must be a positive integer/);
    expect(() => rolloutConversations(model, tok, () => echoEnv(1), [{}], {})).toThrow(/pass rng/);
  });

  it("evaluateChatModel plays a split's tasks and returns the environment's report card", async () => {
    const m = smallModel(4);
    const e = await evaluateChatModel(m, tok, ORDER_DESK_ID, { split: "heldout", limit: 3, samples: 2, seed: 1, maxTurnTokens: 8 });
    expect(e.tasks).toBe(3);
    expect(e.episodes).toHaveLength(6);
    const s = e.summary as Record<string, unknown> & { failures: Record<string, number>; episodes: number; successRate: number };
    expect(Object.keys(s)).toEqual(expect.arrayContaining(["successRate", "validCallRate", "meanTurns", "perKind", "failures"]));
    expect(s.episodes).toBe(6);
    expect(Object.values(s.failures).reduce((a, b) => a + b, 0)).toBe(6 - Math.round(s.successRate * 6));
    await expect(evaluateChatModel(m, tok, "Nope-v0")).rejects.toThrow(/unknown conversation environment 'Nope-v0'/);
    m.dispose();
  });
});
