/**
 * What a checkpoint looks like over HTTP, mounted on a server made by createServer (lib/serve/app):
 *
 *   mountGpt2(app, model, tok, opts)     GET /v1/models, POST /v1/completions (OpenAI's), batched
 *   mountPolicy(app, policy, opts)       POST /v1/act, or POST /v1/edit for an edit agent
 *
 * `tsrl serve --port` mounts one; the playground may mount several next to its own routes. Each
 * returns what the server's owner needs at shutdown: `idle()`, resolved when its queue is empty.
 */
import type { FastifyInstance } from "fastify";
import type { LoadedPolicy } from "../algos/checkpoint";
import type { Rng } from "../core/rng";
import { EDIT_AGENT_ID } from "../envs/edit/edit-agent";
import type { Gpt2 } from "../nn/gpt2/model";
import type { Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { createActHandler } from "./act";
import { createBatchGenerator, type BatchGenerator, type BatchGeneratorOptions } from "./batch-generate";
import { createEditHandler } from "./edit";
import type { CompletionLimits } from "./openai-completions";
import { registerActRoute } from "./routes/act";
import { registerCompletionRoutes } from "./routes/completions";
import { registerEditRoute } from "./routes/edit";
import { createWorkQueue } from "./work-queue";

export const DEFAULT_BATCH: Readonly<Omit<BatchGeneratorOptions, "maxQueue">> = Object.freeze({ maxBatch: 16, windowMs: 5 });
export const DEFAULT_COMPLETION_LIMITS: Readonly<Omit<CompletionLimits, "maxChoices">> = Object.freeze({ maxTokens: 256, maxN: 8 });

export interface MountedFace {
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
}

export interface Gpt2FaceOptions {
  /** The model's name in /v1/models and in requests. */
  name: string;
  /** Sampling stream of requests without a seed. */
  rng: Rng;
  /** Most completions waiting (more: 503); also the most choices one request may ask. */
  maxQueue: number;
  batch?: Partial<Omit<BatchGeneratorOptions, "maxQueue">>;
  limits?: Partial<Omit<CompletionLimits, "maxChoices">>;
  /** Unix seconds shown as the model's `created`; default now. */
  created?: number;
  log?: (text: string) => void;
}

export function mountGpt2(app: FastifyInstance, model: Gpt2, tok: Gpt2Tokenizer, opts: Gpt2FaceOptions): MountedFace & { generator: BatchGenerator } {
  const generator = createBatchGenerator(model, tok, { ...DEFAULT_BATCH, ...opts.batch, maxQueue: opts.maxQueue });
  registerCompletionRoutes(app, {
    served: { name: opts.name, config: model.config, tokenizer: tok },
    generator,
    limits: { ...DEFAULT_COMPLETION_LIMITS, ...opts.limits, maxChoices: opts.maxQueue },
    rng: opts.rng,
    created: opts.created ?? Math.floor(Date.now() / 1000),
    log: opts.log ?? ((text) => void process.stderr.write(`tsrl serve: ${text}\n`)),
  });
  return { generator, idle: () => generator.idle() };
}

export interface PolicyFaceOptions {
  /** Sampling stream of requests with greedy: false. */
  rng: Rng;
  /** Most requests waiting or running (more: 503). */
  maxQueue: number;
}

export function mountPolicy(app: FastifyInstance, policy: LoadedPolicy, opts: PolicyFaceOptions): MountedFace {
  const edit = policy.envId === EDIT_AGENT_ID;
  const queue = createWorkQueue({ maxPending: opts.maxQueue, name: edit ? "edit" : "act" });
  if (edit) registerEditRoute(app, createEditHandler(policy), queue);
  else registerActRoute(app, createActHandler(policy, opts.rng), queue);
  return { idle: () => queue.idle() };
}
