/**
 * Multi-turn rollouts of a GPT-2 policy in a conversation environment, and the token batch a loss
 * on them needs.
 *
 *   for each start (a task), G episodes (a group, GRPO's "same start"):
 *     tokens ← <|endoftext|> + the opening messages + "Agent:"           environment tokens (mask 0)
 *     repeat until every episode has ended:
 *       sample the agent's turn for every running episode at once        (lib/nn/gpt2 generate: a
 *         — KV-cache generation from the whole conversation so far,       prefill of the conversation,
 *           stopping at the first token with a newline (the chat format's  then one cached step per
 *           end of turn) or after `maxTurnTokens`                          token)
 *       tokens += the turn's tokens, as sampled                          the agent's tokens (mask 1)
 *       env.step(turn text) → reward, end?, the environment's messages
 *       tokens += those messages + "Agent:"                              environment tokens (mask 0)
 *
 * The environment's tokens are appended as text the model did not choose: they condition what the
 * agent writes next, but `agentMask` marks only the agent's own tokens, and a loss weighted by it
 * (lib/algos/grpo-lm-loss.ts `grpoLmLoss` takes it as its `mask`) has exactly zero gradient through
 * the others (tested). Each agent token keeps its log-probability at the sampling temperature
 * (π_old of the ratio); `episodeTokenBatch` lays the episodes out as the prompt/completion batch
 * `model.logProbs` takes, with the mask and the old log-probs aligned to its columns.
 *
 * An episode whose conversation leaves less than `maxTurnTokens` of the model's positions for the
 * agent's next turn is truncated there (`contextFull`), as the environment would truncate it at its
 * turn limit: it has no answer.
 */
import * as tf from "@tensorflow/tfjs";
import type { Info } from "../core/env";
import type { Rng } from "../core/rng";
import type { ConversationEnv } from "../envs/conversation/env";
import { encodeConversation } from "../envs/conversation/messages";
import type { EpisodeRecord } from "../envs/conversation/rewards";
import { generate } from "../nn/gpt2/generate";
import type { Gpt2 } from "../nn/gpt2/model";
import type { SamplingOptions } from "../nn/gpt2/sampling";
import { GPT2_EOS_ID, type Gpt2Tokenizer } from "../nn/gpt2/tokenizer";

/** GPT-2's "\n": the end of every turn in the chat format. */
export const NEWLINE_ID = 198;

export interface ConversationRolloutOptions extends SamplingOptions {
  /** Episodes per start (G); default 1. */
  groupSize?: number;
  /** Most tokens in one agent turn (default 40). */
  maxTurnTokens?: number;
  /** Episodes generated together (default 64); a start's group always stays together. */
  batchSize?: number;
  /** Our seeded generator: the sampling and the environments' reset seeds. Required unless greedy. */
  rng?: Rng;
}

export interface ConversationEpisode extends EpisodeRecord {
  /** Which start (index into `starts`) the episode began from; its group is every episode with the same start. */
  start: number;
  /** The whole token sequence: <|endoftext|>, then environment and agent pieces, as the model saw them. */
  tokens: number[];
  /** Per token: 1 for the agent's own (sampled) tokens, 0 for everything else. */
  agentMask: Uint8Array;
  /** Per token: log π_old at the sampling temperature for agent tokens, 0 elsewhere. */
  logProbs: Float32Array;
  /** For each agent turn, the index in `tokens` one past its last token. */
  turnEnds: number[];
  /** Truncated because the model's positions ran out (not by the environment). */
  contextFull: boolean;
}

/** Whether a token ends a turn: it writes a newline, or it is <|endoftext|>. */
function endsTurn(tokenizer: Gpt2Tokenizer, id: number, cache: Map<number, boolean>): boolean {
  if (id === GPT2_EOS_ID || id === NEWLINE_ID) return true;
  let v = cache.get(id);
  if (v === undefined) cache.set(id, (v = tokenizer.decode([id]).includes("\n")));
  return v;
}

interface Running {
  episode: ConversationEpisode;
  env: ConversationEnv;
  turnRewards: number[];
  lastInfo: Info;
  done: boolean;
}

/**
 * Rolls out `groupSize` episodes from each start (reset options, e.g. `{ taskIndex }` or `{ task }`)
 * with `model` as the agent (see the module comment). Episodes come back start by start, G each.
 */
export function rolloutConversations(model: Gpt2, tokenizer: Gpt2Tokenizer, makeEnv: () => ConversationEnv, starts: readonly Record<string, unknown>[], opts: ConversationRolloutOptions = {}): ConversationEpisode[] {
  const G = opts.groupSize ?? 1, maxTurnTokens = opts.maxTurnTokens ?? 40, batchSize = opts.batchSize ?? 64;
  if (!(Number.isInteger(G) && G >= 1)) throw new RangeError(`groupSize must be a positive integer, got ${G}`);
  if (!(Number.isInteger(maxTurnTokens) && maxTurnTokens >= 1)) throw new RangeError(`maxTurnTokens must be a positive integer, got ${maxTurnTokens}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const greedy = opts.greedy === true || opts.temperature === 0;
  if (!greedy && !opts.rng) throw new RangeError("rolloutConversations: pass rng (our seeded Rng), or greedy: true / temperature: 0");
  const startsPerBatch = Math.max(1, Math.floor(batchSize / G));
  const out: ConversationEpisode[] = [];
  const stopCache = new Map<number, boolean>();
  for (let s0 = 0; s0 < starts.length; s0 += startsPerBatch) {
    const running: Running[] = [];
    for (let s = s0; s < Math.min(starts.length, s0 + startsPerBatch); s++) {
      for (let g = 0; g < G; g++) {
        const env = makeEnv();
        const r = env.reset({ seed: opts.rng ? opts.rng.int(0x7fffffff) : s * G + g, options: starts[s] });
        const enc = encodeConversation(env.chat, tokenizer, r.messages, { startId: GPT2_EOS_ID, openAgentTurn: true });
        running.push({
          episode: { start: s, tokens: enc.ids, agentMask: enc.agentMask, logProbs: new Float32Array(enc.ids.length), turnEnds: [], contextFull: false, messages: [], turnRewards: [], terminated: false, truncated: false, info: r.info },
          env, turnRewards: [], lastInfo: r.info, done: false,
        });
      }
    }
    playTurns(model, tokenizer, running, { ...opts, maxTurnTokens, greedy }, stopCache);
    for (const r of running) out.push(r.episode);
  }
  return out;
}

/** Plays every running episode to its end, all agent turns of a round in one generation batch. */
function playTurns(model: Gpt2, tokenizer: Gpt2Tokenizer, running: Running[], opts: ConversationRolloutOptions & { maxTurnTokens: number; greedy: boolean }, stopCache: Map<number, boolean>): void {
  const nPositions = model.config.nPositions;
  const finish = (r: Running, terminated: boolean, truncated: boolean, info: Info) => {
    r.done = true;
    const e = r.episode;
    e.messages = r.env.transcript;
    e.turnRewards = r.turnRewards;
    e.terminated = terminated;
    e.truncated = truncated;
    e.info = info;
  };
  for (;;) {
    for (const r of running) {
      if (!r.done && r.episode.tokens.length + opts.maxTurnTokens > nPositions) {
        r.episode.contextFull = true;
        finish(r, false, true, { ...r.lastInfo, answered: false, success: false, correct: false, contextFull: true });
      }
    }
    const active = running.filter((r) => !r.done);
    if (active.length === 0) return;
    const gen = generate(model, active.map((r) => r.episode.tokens), {
      maxNewTokens: opts.maxTurnTokens, eosId: NEWLINE_ID, temperature: opts.temperature, topK: opts.topK, topP: opts.topP,
      greedy: opts.greedy, rng: opts.greedy ? undefined : opts.rng,
    });
    active.forEach((r, b) => {
      const sampled = gen.tokens[b];
      let end = sampled.findIndex((id) => endsTurn(tokenizer, id, stopCache));
      const stopped = end >= 0;
      end = stopped ? end + 1 : sampled.length;
      const turn = sampled.slice(0, end);
      const e = r.episode;
      e.tokens.push(...turn);
      e.agentMask = grow(e.agentMask, turn.length, 1);
      e.logProbs = growFloat(e.logProbs, gen.logProbs[b].slice(0, end));
      e.turnEnds.push(e.tokens.length);
      const text = tokenizer.decode(stopped ? turn.slice(0, -1) : turn);
      const step = r.env.step(text);
      r.turnRewards.push(step.reward);
      r.lastInfo = step.info;
      if (step.terminated || step.truncated) return finish(r, step.terminated, step.truncated, step.info);
      // the agent's turn may have stopped without a newline (<|endoftext|> or the token limit): start a new line
      const lead = stopped && turn.at(-1) !== GPT2_EOS_ID ? [] : tokenizer.encode("\n");
      const env = encodeConversation(r.env.chat, tokenizer, step.messages, { openAgentTurn: true });
      e.tokens.push(...lead, ...env.ids);
      e.agentMask = grow(e.agentMask, lead.length + env.ids.length, 0);
      e.logProbs = growFloat(e.logProbs, new Array(lead.length + env.ids.length).fill(0));
    });
  }
}

function grow(a: Uint8Array, n: number, value: number): Uint8Array {
  const out = new Uint8Array(a.length + n);
  out.set(a);
  out.fill(value, a.length);
  return out;
}

function growFloat(a: Float32Array, values: readonly number[]): Float32Array {
  const out = new Float32Array(a.length + values.length);
  out.set(a);
  out.set(values, a.length);
  return out;
}

export interface EpisodeTokenBatch {
  /** [<|endoftext|>] per episode: the "prompt" of model.logProbs. */
  promptIds: number[][];
  /** The rest of each episode's tokens: log-probs are taken of every one of them. */
  completionIds: number[][];
  /** Columns of the completion batch (the longest episode's tokens − 1). */
  length: number;
  /** [B·length] 1 on the agent's tokens, 0 on environment tokens and padding. */
  mask: Float32Array;
  /** [B·length] the sampler's log-probs on the agent's tokens, 0 elsewhere. */
  oldLogProbs: Float32Array;
}

/** The episodes as a prompt/completion batch for `model.logProbs`, with the agent mask and old log-probs aligned to its columns. */
export function episodeTokenBatch(episodes: readonly ConversationEpisode[]): EpisodeTokenBatch {
  if (episodes.length === 0) throw new RangeError("episodeTokenBatch: no episodes");
  const length = Math.max(...episodes.map((e) => e.tokens.length - 1));
  const B = episodes.length;
  const mask = new Float32Array(B * length), oldLogProbs = new Float32Array(B * length);
  episodes.forEach((e, b) => {
    if (e.tokens.length < 2) throw new RangeError(`episode ${b} has ${e.tokens.length} tokens; it needs <|endoftext|> and at least one more`);
    for (let t = 1; t < e.tokens.length; t++) {
      mask[b * length + t - 1] = e.agentMask[t];
      oldLogProbs[b * length + t - 1] = e.logProbs[t];
    }
  });
  return { promptIds: episodes.map((e) => e.tokens.slice(0, 1)), completionIds: episodes.map((e) => e.tokens.slice(1)), length, mask, oldLogProbs };
}

/** The batch's mask and old log-probs as [B, length] tensors (the caller disposes them, or calls inside tf.tidy). */
export function episodeBatchTensors(batch: EpisodeTokenBatch): { mask: tf.Tensor2D; oldLogProbs: tf.Tensor2D } {
  const B = batch.promptIds.length;
  return { mask: tf.tensor2d(batch.mask, [B, batch.length]), oldLogProbs: tf.tensor2d(batch.oldLogProbs, [B, batch.length]) };
}
