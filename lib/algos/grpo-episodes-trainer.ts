/**
 * GRPO over a conversation environment's episodes, as `tsrl train grpo OrderDesk-v0` runs it: the
 * pair (grpo, <conversation env>) of the registry. Its config is GRPO over episodes' (./grpo-episodes.ts,
 * TRL's names) plus the run's inputs and measures:
 *
 *   model      the starting GPT-2 directory (default runs/order-desk-gpt2: OrderDesk's pretrained tiny
 *              model, pretrained there first when absent)
 *   preset     conservative | balanced | aggressive (./grpo-episodes.ts says what each changes); flags override it
 *   reward     optional: more parts on the agent's words (lib/lm/reward-spec: politeness by keywords, length,
 *              a reward model), composed with the environment's parts through textEpisodeReward
 *
 * and it measures the held-out success of the starting model and of the result (`successBefore`,
 * `successAfter`): the first `evalTasks` tasks of datasets/order-desk/heldout.jsonl, one episode each at
 * temperature 1, seed 0.
 *
 * The run's directory is a GPT-2 directory (config.json, model.safetensors, tokenizer files) plus
 * metrics.csv and grpo_run.json (config, summary, before/after report cards), written atomically.
 * `tsrl eval DIR --tasks datasets/order-desk/heldout.jsonl --episodes <evalTasks>` reproduces successAfter.
 */
import * as path from "node:path";
import { choice, defineSchema, str } from "../core/schema";
import { csvBytes } from "../data/metrics";
import { datasetsDir, runsDir } from "../data/paths";
import { conversationEnvSpec, registeredConversationEnvs } from "../envs/conversation/env";
import { textEpisodeReward, type EpisodeRewardPart } from "../envs/conversation/rewards";
import { loadReward, parseRewardSpec } from "../lm/reward-spec";
import { ORDER_DESK_FILES, orderDeskRewardParts } from "../envs/order-desk";
import { loadOrPretrainOrderDesk, ORDER_DESK_MODEL_DIR } from "../lm/order-desk-pretrain";
import { initBackend } from "../nn/backend";
import { loadGpt2 } from "../nn/gpt2/load";
import type { Gpt2 } from "../nn/gpt2/model";
import { loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import type { AgentConfig, BaseRow } from "./agent";
import { evaluateChatModel } from "./conversation-eval";
import { createGrpoEpisodesTrainer, grpoEpisodesConfig, grpoEpisodesSchema, GRPO_EPISODE_PRESET_NAMES, type GrpoEpisodePreset, type GrpoEpisodesConfig } from "./grpo-episodes";
import { saveGpt2Run } from "./grpo-gpt2";
import { round, type Trainer, type TrainingRun } from "./trainer";

/** The run file beside the model (`tsrl eval` and `tsrl serve` read it). */
export const GRPO_EPISODES_RUN_FILE = "grpo_run.json";

export const grpoEpisodesRunSchema = defineSchema("grpo", {
  envId: str("OrderDesk-v0", "a conversation environment (OrderDesk-v0)", { positional: true, nonEmpty: true }),
  model: str("", `the starting GPT-2 directory (default runs/${ORDER_DESK_MODEL_DIR}, pretrained there first if absent)`),
  reward: str("", "more reward parts on the agent's words, a reward SPEC as grpo GPT2 takes (rules:keyword=0.1:thanks|sorry, rules:length=0.05:12/words, rm:DIR): added to the environment's success, invalid calls and turns"),
  preset: choice(GRPO_EPISODE_PRESET_NAMES, "balanced", "conservative | balanced | aggressive (lib/algos/grpo-episodes.ts says what each changes); flags override it"),
  ...grpoEpisodesSchema.fields,
});

const EPISODE_FIELDS = Object.keys(grpoEpisodesSchema.fields);

export const grpoEpisodesTrainer: Trainer = {
  algorithm: "grpo",
  summary: "GRPO over multi-turn episodes of a conversation environment: TRL's GRPO options, presets, held-out success before and after",
  trainsOn: `a conversation environment (${registeredConversationEnvs().join(", ") || "OrderDesk-v0"}) with a GPT-2 agent`,
  envArgument: "<conversation env>",
  unit: "step",
  schema: grpoEpisodesRunSchema,
  accepts: (envId) => registeredConversationEnvs().includes(envId),
  config(partial) {
    const preset = (partial.preset ?? "balanced") as GrpoEpisodePreset;
    const base = grpoEpisodesRunSchema.parse({ ...partial, preset });
    const episodes = grpoEpisodesConfig(Object.fromEntries(EPISODE_FIELDS.filter((k) => partial[k] !== undefined).map((k) => [k, partial[k]])) as Partial<GrpoEpisodesConfig>, preset);
    if (base.reward) parseRewardSpec(base.reward); // a RewardSpecError names the bad piece
    return { ...base, ...episodes };
  },
  savedConfig(dir) {
    throw new RangeError(`--resume ${path.resolve(dir)}: GRPO over episodes does not keep a training state yet; start a new run from its model with --model ${dir}`);
  },
  async start(config) {
    await initBackend({ quiet: true });
    let model: Gpt2;
    const source = String(config.model || runsDir(ORDER_DESK_MODEL_DIR));
    try {
      model = config.model ? loadGpt2(source) : (await loadOrPretrainOrderDesk(source)).model;
    } catch (err) {
      throw new RangeError(`--model ${source}: ${(err as Error).message}`);
    }
    return episodesRun(model, config, source);
  },
  async resume(dir) {
    throw new RangeError(`--resume ${path.resolve(dir)}: GRPO over episodes does not keep a training state yet`);
  },
};

async function episodesRun(model: Gpt2, config: AgentConfig, source: string): Promise<TrainingRun> {
  const envId = String(config.envId);
  conversationEnvSpec(envId);
  const tokenizer = loadGpt2Tokenizer();
  const evalTasks = Number(config.evalTasks); // the schema's: also the size of evaluations during training (evalEvery)
  const heldoutFile = datasetsDir("order-desk", ORDER_DESK_FILES.heldout);
  const episodesConfig = Object.fromEntries(EPISODE_FIELDS.map((k) => [k, config[k]])) as GrpoEpisodesConfig;
  const heldout = async () => {
    const e = await evaluateChatModel(model, tokenizer, envId, { tasks: heldoutFile, limit: evalTasks, seed: 0, temperature: 1, maxTurnTokens: episodesConfig.maxCompletionLength });
    return e.summary as Record<string, unknown>;
  };
  const parts: EpisodeRewardPart[] = orderDeskRewardParts();
  let text: Awaited<ReturnType<typeof loadReward>> | undefined;
  if (config.reward) {
    try {
      text = await loadReward(parseRewardSpec(String(config.reward)));
    } catch (err) {
      model.dispose();
      throw new RangeError(`--reward ${JSON.stringify(config.reward)}: ${(err as Error).message}`);
    }
    parts.push({ name: "text", reward: textEpisodeReward(text.reward) });
  }
  const before = await heldout();
  let after: Record<string, unknown> | undefined;
  const trainer = createGrpoEpisodesTrainer({ model, tokenizer, envId, rewardParts: parts, config: episodesConfig });
  const fields = () => ({
    model: source, preset: config.preset, reward: config.reward ? String(config.reward) : null, steps: trainer.metrics.length, episodes: trainer.metrics.at(-1)?.episodes ?? 0,
    successBefore: round(Number(before?.successRate), 4), successAfter: round(Number(after?.successRate), 4),
    validCallRateBefore: round(Number(before?.validCallRate), 4), validCallRateAfter: round(Number(after?.validCallRate), 4),
    meanTurnsBefore: round(Number(before?.meanTurns), 4), meanTurnsAfter: round(Number(after?.meanTurns), 4),
    evalTasks, heldout: path.relative(process.cwd(), heldoutFile),
    rewardFirst: round(trainer.metrics[0]?.reward ?? NaN, 4), rewardLast: round(trainer.metrics.at(-1)?.reward ?? NaN, 4), kl: round(trainer.metrics.at(-1)?.kl ?? NaN, 5),
  });
  return {
    metrics: trainer.metrics as readonly BaseRow[],
    async train(opts) {
      const result = await trainer.train(opts);
      after = await heldout(); // the result's held-out success (also after a stop: what the directory holds)
      return result;
    },
    save(dir, result, opts = {}) {
      const out = path.resolve(dir);
      const stopped = result?.stopped ?? (opts.failed ? "failed" : "running");
      const summary = { algorithm: "grpo", env: envId, ...fields(), seed: config.seed, stopped, wallTime: round(result?.wallTime ?? NaN, 1), checkpoint: out };
      saveGpt2Run(model, out, {
        ...(trainer.metrics.length ? { "metrics.csv": csvBytes(trainer.metrics) } : {}),
        [GRPO_EPISODES_RUN_FILE]: JSON.stringify({ ...summary, config: trainer.config, before, after }, null, 2) + "\n",
      }, trainer.metrics.length);
      return out;
    },
    summary(result) {
      const s = fields();
      return { fields: s, line: `${s.steps} steps (${s.episodes} episodes), ${result.wallTime.toFixed(1)} s; held-out success ${s.successBefore} → ${s.successAfter}, valid calls ${s.validCallRateBefore} → ${s.validCallRateAfter}` };
    },
    dispose() {
      trainer.dispose();
      text?.dispose();
      model.dispose();
    },
  };
}
