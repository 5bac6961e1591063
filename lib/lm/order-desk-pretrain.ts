/**
 * The starting model of the multi-turn chapter: the tiny GPT-2 pretrained on OrderDesk-v0's scripted
 * transcripts (datasets/order-desk/transcripts.jsonl) with ./pretrain.ts's machinery — the same loop,
 * loss and cache, on another corpus and with 256 positions (a conversation with a malformed call and
 * its error runs to ~150 tokens, and the agent's next turn needs room after it).
 *
 *   corpus  = each transcript written in the chat format, "Customer: …\nAgent: …\nTool: …\n…",
 *             after an <|endoftext|>, exactly the tokens a rollout builds (lib/envs/conversation)
 *   windows = 256 tokens at random offsets of that stream (three or four transcripts each, and
 *             every position the model has, so a long conversation's late positions are trained too)
 *
 * The loss is on every token, the customer's and the tool's too: pretraining learns the whole
 * conversation, so the model knows what a tool's answer looks like; only RL restricts its loss to the
 * agent's own tokens. The transcripts mix an expert with guessing, malformed calls, wrong facts and
 * needless turns (lib/envs/order-desk/transcripts.ts), and so does the model.
 *
 * `loadOrPretrainOrderDesk(dir)` loads the model in `dir` or pretrains and saves it there atomically
 * (./pretrain.ts loadOrPretrain), the way notebook 06 caches runs/tiny-gpt2.
 */
import { checkOutDir } from "../data/out-dir";
import { datasetsDir, runsDir } from "../data/paths";
import { renderConversation } from "../envs/conversation/messages";
import { ORDER_DESK_FILES, readTranscripts } from "../envs/order-desk/data";
import { ORDER_DESK_CHAT } from "../envs/order-desk/order-desk";
import type { Transcript } from "../envs/order-desk/transcripts";
import { GPT2_TINY, type Gpt2Config } from "../nn/gpt2/config";
import { loadOrPretrain, pretrainGpt2, readPretrainInfo, savePretrained, type LoadOrPretrainResult, type PretrainOptions } from "./pretrain";

/** GPT2_TINY with 256 positions and 64 wide: 4 layers, 4 heads (the 128-wide model learned no more in its time, at twice the cost). */
export const ORDER_DESK_GPT2: Readonly<Gpt2Config> = Object.freeze({ ...GPT2_TINY, nEmbd: 64, nPositions: 256 });

/** The pretraining settings of the starting model (any can be overridden). */
export const ORDER_DESK_PRETRAIN: Readonly<Omit<PretrainOptions, "corpus" | "heldout" | "onProgress" | "signal">> = Object.freeze({
  config: ORDER_DESK_GPT2,
  seed: 1,
  steps: 1500,
  batchSize: 4,
  seqLen: 256,
  lr: 3e-3,
  warmupSteps: 30,
  evalEvery: 250,
  fullVocabEvery: 64,
});

/** Where the starting model is cached. */
export const ORDER_DESK_MODEL_DIR = "order-desk-gpt2";

/** Transcripts as pretraining texts (the chat format; tokenizeCorpus puts the <|endoftext|> before each). */
export function transcriptTexts(transcripts: readonly Transcript[]): string[] {
  return transcripts.map((t) => renderConversation(ORDER_DESK_CHAT, t.messages));
}

/**
 * The model in `dir` (default runs/order-desk-gpt2), or pretrains it on the transcripts and saves it there.
 * `force`: pretrain even though `dir` holds a model, and replace it once trained — through the same
 * atomic save and out-directory guard (a directory tsrl did not write is refused before training).
 */
export async function loadOrPretrainOrderDesk(dir = runsDir(ORDER_DESK_MODEL_DIR), opts: PretrainOptions & { force?: boolean } = {}): Promise<LoadOrPretrainResult> {
  const { force = false, ...rest } = opts;
  const corpus = rest.corpus ?? transcriptTexts(readTranscripts(datasetsDir("order-desk", ORDER_DESK_FILES.transcripts)));
  const heldout = rest.heldout ?? transcriptTexts(readTranscripts(datasetsDir("order-desk", ORDER_DESK_FILES.transcriptsHeldout)));
  const run: PretrainOptions = { ...ORDER_DESK_PRETRAIN, ...rest, config: { ...ORDER_DESK_GPT2, ...rest.config }, corpus, heldout };
  if (!force) return loadOrPretrain(dir, run);
  checkOutDir(dir, { overwrite: true });
  const result = await pretrainGpt2(run);
  if (!result.aborted) savePretrained(result, dir);
  return { model: result.model, loaded: false, history: result.history, info: result.aborted ? undefined : readPretrainInfo(dir) };
}
