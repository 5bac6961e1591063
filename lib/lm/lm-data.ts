/**
 * datasets/lm, all from one seed (./corpus.ts, ./preferences.ts):
 *
 *   corpus.txt                  reviews, one a line: the tiny GPT-2's pretraining text
 *   corpus.heldout.txt          more reviews, none in corpus.txt: its held-out loss
 *   prompts.jsonl               {"prompt","domain"}: review openings for GRPO ("The film was")
 *   preferences.train.jsonl     {"prompt","chosen","rejected"}: the reward model's training pairs
 *   preferences.heldout.jsonl   pairs not in the training file: its held-out accuracy
 */
import { createRng } from "../core/rng";
import { generateCorpus, generatePrompts } from "./corpus";
import { formatPreferencePair, generatePreferencePairs, type PreferencePair } from "./preferences";

export const DEFAULT_LM_DATA_SEED = 10;
export const DEFAULT_LM_DATA_SIZES = Object.freeze({ corpus: 3000, corpusHeldout: 300, prompts: 100, pairsTrain: 1500, pairsHeldout: 300 });
export type LmDataSizes = { -readonly [K in keyof typeof DEFAULT_LM_DATA_SIZES]: number };

export const LM_DATA_FILES = Object.freeze({
  corpus: "corpus.txt",
  corpusHeldout: "corpus.heldout.txt",
  prompts: "prompts.jsonl",
  pairsTrain: "preferences.train.jsonl",
  pairsHeldout: "preferences.heldout.jsonl",
});

export interface LmData {
  corpus: string[];
  corpusHeldout: string[];
  prompts: { prompt: string; domain: string }[];
  pairsTrain: PreferencePair[];
  pairsHeldout: PreferencePair[];
}

/** The five datasets from one seed; each split draws from its own forked stream. */
export function generateLmData(seed = DEFAULT_LM_DATA_SEED, sizes: Partial<LmDataSizes> = {}): LmData {
  const n = { ...DEFAULT_LM_DATA_SIZES, ...sizes };
  const rng = createRng(seed);
  const corpusRng = rng.fork(), promptRng = rng.fork(), pairRng = rng.fork();
  const corpus = generateCorpus(corpusRng, n.corpus);
  const corpusHeldout = generateCorpus(corpusRng, n.corpusHeldout, new Set(corpus));
  const prompts = generatePrompts(promptRng, n.prompts);
  const pairsTrain = generatePreferencePairs(pairRng, n.pairsTrain);
  const pairsHeldout = generatePreferencePairs(pairRng, n.pairsHeldout, { exclude: new Set(pairsTrain.map(formatPreferencePair)) });
  return { corpus, corpusHeldout, prompts, pairsTrain, pairsHeldout };
}

/** Each file's contents (the bytes the generator script writes). */
export function formatLmData(data: LmData): Record<keyof typeof LM_DATA_FILES, string> {
  const lines = (xs: string[]) => xs.map((x) => x + "\n").join("");
  return {
    corpus: lines(data.corpus),
    corpusHeldout: lines(data.corpusHeldout),
    prompts: lines(data.prompts.map((p) => JSON.stringify({ prompt: p.prompt, domain: p.domain }))),
    pairsTrain: lines(data.pairsTrain.map(formatPreferencePair)),
    pairsHeldout: lines(data.pairsHeldout.map(formatPreferencePair)),
  };
}
