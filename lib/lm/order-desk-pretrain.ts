/**
 * The starting model of the multi-turn chapter: the tiny GPT-2 pretrained on OrderDesk-v0's scripted
 * transcripts (datasets/order-desk/transcripts.jsonl) with ./pretrain.ts's machinery — the same loop,
 * loss and cache, on another corpus.
 *
 * The agent must copy: the customer's order number into its call, the tool's facts into its
 * answer. Trained on the transcripts alone, the model never copied the number in our budget (every
 * call looked up one made-up number; lib/lm/order-desk-probe measured 0 of 80 — figs/README.md). Two
 * things taught it to (the right lookup on 80 of 80, greedy); the tool's facts it still mostly
 * misses (a correct answer after the right lookup: 0.11), the step still open:
 *
 *   documents   each conversation sees only itself (PretrainOptions.documentMask): in a window of
 *               packed conversations the previous conversation's order number is a decoy, and
 *               positions restart at 0 as in a rollout. With it, the drill below copies held-out
 *               numbers after ~1,500 steps; without it, not after 2,500.
 *   copy drill  phase 1 trains on the first exchange only — the customer's opening and the
 *               expert's first message (`<call>lookup order 4471</call>`) — of fresh orders from the
 *               training pool: short texts where the only thing to learn is the copy. Phase 2, from
 *               phase 1's weights, trains on the transcripts with `drillShare` of its tokens from the
 *               drill (first exchanges and whole expert conversations of fresh training-pool orders),
 *               so the copying is kept while the model learns the conversations.
 *
 * The drill draws only from the training pool of the data's catalog (names, items, ids): no held-out
 * order number, name or item occurs in pretraining (tested). The loss is on every token, the
 * customer's and the tool's too: pretraining learns the whole conversation; only RL restricts its
 * loss to the agent's own tokens. The transcripts mix an expert with guessing, malformed calls, wrong
 * facts and needless turns (lib/envs/order-desk/transcripts.ts), and so does the model — less often,
 * for the drill's expert share.
 *
 * `loadOrPretrainOrderDesk(dir)` loads the model in `dir` or pretrains and saves it there atomically
 * (./pretrain.ts loadOrPretrain), the way notebook 06 caches runs/tiny-gpt2.
 */
import { createRng } from "../core/rng";
import { checkOutDir } from "../data/out-dir";
import { datasetsDir, runsDir } from "../data/paths";
import { renderConversation } from "../envs/conversation/messages";
import { DEFAULT_ORDER_DESK_SEED, ORDER_DESK_FILES, orderDeskCatalog, readTranscripts } from "../envs/order-desk/data";
import { ORDER_DESK_CHAT } from "../envs/order-desk/order-desk";
import { generateTasks } from "../envs/order-desk/tasks";
import { generateTranscripts, type Behaviour, type Transcript } from "../envs/order-desk/transcripts";
import { GPT2_TINY, type Gpt2Config } from "../nn/gpt2/config";
import { loadGpt2Tokenizer, type Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { loadGpt2 } from "../nn/gpt2/load";
import { lookupProbe } from "./order-desk-probe";
import { initBackend } from "../nn/backend";
import { hasSavedGpt2, pretrainGpt2, readPretrainInfo, savePretrained, type LoadOrPretrainResult, type PretrainOptions, type PretrainResult } from "./pretrain";

/** GPT2_TINY with 256 positions, 2 layers, 64 wide, 4 heads: two layers copy (an induction needs two), at half the cost of four. */
export const ORDER_DESK_GPT2: Readonly<Gpt2Config> = Object.freeze({ ...GPT2_TINY, nLayer: 2, nEmbd: 64, nPositions: 256 });

/** How the starting model is pretrained beyond PretrainOptions: the copy drill (see the module comment). */
export interface OrderDeskPretrainOptions extends PretrainOptions {
  /** Most steps of phase 1, the first-exchange drill alone (0: no phase 1). */
  drillSteps?: number;
  /**
   * Phase 1 ends early once the model looks up the customer's number on this share of 50 fresh
   * training-pool tasks (greedy, checked every 250 steps; 1 = never early): copying appears
   * suddenly, after a number of steps that varies with the seed.
   */
  drillUntil?: number;
  /** Share of phase 2's training tokens that are drill texts, in [0, 1). */
  drillShare?: number;
}

/** The pretraining settings of the starting model (any can be overridden). */
export const ORDER_DESK_PRETRAIN: Readonly<Omit<OrderDeskPretrainOptions, "corpus" | "heldout" | "onProgress" | "signal" | "init">> = Object.freeze({
  config: ORDER_DESK_GPT2,
  seed: 1,
  drillSteps: 4000,
  drillUntil: 0.95,
  drillShare: 0.4,
  steps: 5000,
  batchSize: 4,
  seqLen: 128, // windows from a conversation's start: 128 tokens hold 99% of the transcripts whole (longest 146)
  lr: 3e-3,
  warmupSteps: 30,
  evalEvery: 500,
  fullVocabEvery: 64,
  documentMask: true,
});

/** Phase 1's windows (its texts are short). */
export const DRILL_WINDOWS = Object.freeze({ batchSize: 8, seqLen: 64 });

/** Where the starting model is cached. */
export const ORDER_DESK_MODEL_DIR = "order-desk-gpt2";

/** Transcripts as pretraining texts (the chat format; tokenizeCorpus puts the <|endoftext|> before each). */
export function transcriptTexts(transcripts: readonly Transcript[]): string[] {
  return transcripts.map((t) => renderConversation(ORDER_DESK_CHAT, t.messages));
}

const EXPERT_ONLY: Readonly<Record<Behaviour, number>> = { expert: 1, guess: 0, "malformed-call": 0, "wrong-fact": 0, "extra-turn": 0 };

/**
 * `n` drill texts from fresh orders of the training pool (of the datasets' catalog), played by the
 * expert: `"first"` their first exchange (the opening and the expert's first message: the call, or
 * a question for the number), `"whole"` the whole conversation.
 */
export function copyDrillTexts(n: number, seed: number, form: "first" | "whole", dataSeed = DEFAULT_ORDER_DESK_SEED): string[] {
  const pool = orderDeskCatalog(dataSeed).train;
  const rng = createRng(seed);
  const transcripts = generateTranscripts(rng, generateTasks(rng, pool, n, "drill", { reuseIds: true }), pool, EXPERT_ONLY);
  return transcripts.map((t) => renderConversation(ORDER_DESK_CHAT, form === "first" ? t.messages.slice(0, 2) : t.messages));
}

/**
 * Phase 2's corpus: `texts` and drill texts (first exchanges and whole expert conversations in
 * turn) until the drill is `share` of the tokens, shuffled with `seed`.
 */
export function mixDrill(texts: readonly string[], share: number, seed: number, tokenizer: Gpt2Tokenizer = loadGpt2Tokenizer()): string[] {
  if (!(share >= 0 && share < 1)) throw new RangeError(`drillShare must be in [0, 1), got ${share}`);
  const tokens = (t: string) => tokenizer.encode(t).length + 1; // + its <|endoftext|>
  const base = texts.reduce((a, t) => a + tokens(t), 0);
  const want = (share / (1 - share)) * base;
  const out = [...texts];
  let have = 0;
  for (let batch = 0; have < want; batch++) {
    const n = Math.min(2000, Math.ceil((want - have) / 80) + 10); // a first exchange and a whole conversation: ~100 tokens
    const first = copyDrillTexts(n, seed * 1000 + 2 * batch, "first"), whole = copyDrillTexts(n, seed * 1000 + 2 * batch + 1, "whole");
    for (let i = 0; i < n && have < want; i++) {
      for (const t of [first[i], whole[i]]) {
        if (have >= want) break;
        out.push(t);
        have += tokens(t);
      }
    }
  }
  return createRng(seed).shuffle(out);
}

/**
 * Pretrains the starting model (see the module comment): phase 1, `drillSteps` on first exchanges,
 * then phase 2 on `corpus` (default the transcripts) mixed with the drill — one PretrainResult, the
 * history of both phases in order (phase 2's steps numbered after phase 1's).
 */
export async function pretrainOrderDesk(opts: OrderDeskPretrainOptions = {}): Promise<PretrainResult> {
  const { drillSteps = 0, drillShare = 0, drillUntil = 1, ...rest } = { ...ORDER_DESK_PRETRAIN, ...opts, config: { ...ORDER_DESK_GPT2, ...opts.config } };
  if (!(Number.isInteger(drillSteps) && drillSteps >= 0)) throw new RangeError(`drillSteps must be an integer ≥ 0, got ${drillSteps}`);
  // checked before phase 1 trains, not when phase 2 builds its corpus minutes later
  if (!(drillShare >= 0 && drillShare < 1)) throw new RangeError(`drillShare must be in [0, 1), got ${drillShare}`);
  if (!(drillUntil > 0 && drillUntil <= 1)) throw new RangeError(`drillUntil must be in (0, 1], got ${drillUntil}`);
  const seed = rest.seed ?? 1;
  const corpus = rest.corpus ?? transcriptTexts(readTranscripts(datasetsDir("order-desk", ORDER_DESK_FILES.transcripts)));
  const heldout = rest.heldout ?? transcriptTexts(readTranscripts(datasetsDir("order-desk", ORDER_DESK_FILES.transcriptsHeldout)));
  let phase1: PretrainResult | undefined;
  if (drillSteps > 0) {
    const total = drillSteps + (rest.steps ?? 0);
    // a constant learning rate after warm-up: copying appears suddenly after ~1,000-2,000 steps, and a
    // rate already decayed by then delays it (measured: 1,500 decaying steps, no copying; constant, copying)
    const probeTasks = generateTasks(createRng(seed + 0x5eed), orderDeskCatalog().train, 50, "probe", { reuseIds: true }).filter((t) => t.kind !== "no-id");
    const copied = new AbortController();
    const stop = rest.signal ? AbortSignal.any([rest.signal, copied.signal]) : copied.signal;
    // first exchanges are ~30 tokens: 8 windows of 64 (phase 2's longer windows hold whole conversations)
    phase1 = await pretrainGpt2({ ...rest, corpus: copyDrillTexts(Math.min(20000, 20 * drillSteps + 100), seed, "first"), heldout: [], steps: drillSteps, evalEvery: 0, lrMin: rest.lr, signal: stop, batchSize: DRILL_WINDOWS.batchSize, seqLen: DRILL_WINDOWS.seqLen,
      onProgress: (p, model) => {
        rest.onProgress?.({ ...p, steps: total }, model);
        if (drillUntil < 1 && p.step % 250 === 0 && lookupProbe(model, probeTasks) >= drillUntil) copied.abort();
      } });
    if (phase1.aborted && rest.signal?.aborted) return phase1;
  }
  const offset = phase1?.history.length ?? 0;
  try {
    const phase2 = await pretrainGpt2({
      ...rest,
      corpus: drillShare > 0 ? mixDrill(corpus, drillShare, seed) : corpus,
      heldout,
      init: phase1?.model,
      onProgress: rest.onProgress && ((p, model) => rest.onProgress!({ ...p, step: p.step + offset, steps: p.steps + offset, seconds: p.seconds + (phase1?.seconds ?? 0) }, model)),
    });
    if (!phase1) return phase2;
    return {
      ...phase2,
      history: [...phase1.history, ...phase2.history.map((r) => ({ ...r, step: r.step + offset, steps: r.steps + offset, seconds: r.seconds + phase1!.seconds }))],
      seconds: phase1.seconds + phase2.seconds,
      options: { ...phase2.options, steps: phase2.options.steps + offset, drillSteps, drillUntil, drillStepsTaken: offset, drillShare } as PretrainResult["options"],
    };
  } finally {
    phase1?.model.dispose();
  }
}

/**
 * The model in `dir` (default runs/order-desk-gpt2), or pretrains it (`pretrainOrderDesk`) and saves it there.
 * `force`: pretrain even though `dir` holds a model, and replace it once trained — through the same
 * atomic save and out-directory guard (a directory tsrl did not write is refused before training).
 */
export async function loadOrPretrainOrderDesk(dir = runsDir(ORDER_DESK_MODEL_DIR), opts: OrderDeskPretrainOptions & { force?: boolean } = {}): Promise<LoadOrPretrainResult> {
  const { force = false, ...rest } = opts;
  if (!force && hasSavedGpt2(dir)) {
    await initBackend({ quiet: true });
    return { model: loadGpt2(dir), loaded: true, info: readPretrainInfo(dir) };
  }
  checkOutDir(dir, { overwrite: force }); // before training: a place that may not receive the model fails now
  const result = await pretrainOrderDesk(rest);
  if (!result.aborted) savePretrained(result, dir);
  return { model: result.model, loaded: false, history: result.history, info: result.aborted ? undefined : readPretrainInfo(dir) };
}
