/**
 * Conversation environments: an episode alternates agent turns and environment turns.
 *
 *   reset({ seed?, options? })  → { messages, info }                       the opening messages
 *   step(agentText)             → { messages, reward, terminated, truncated, info }
 *
 * `step` takes the agent's message (plain text; a tool call is text too, see ./tool-call.ts) and
 * returns the environment's turn: the *new* messages that follow it (a tool's result, an error
 * about a malformed call, the user's reply — none when the episode is over), the reward of this
 * turn, and whether the episode ended. As in Gymnasium, `terminated` means the task reached its end
 * (the agent answered) and `truncated` that it was cut short from outside (the turn limit), and they
 * are never merged: a value function bootstraps through one and not the other. A malformed agent
 * message is an event of the episode (an error message, a penalty), never an exception; only using
 * the environment wrongly (stepping a finished episode) throws.
 *
 * `transcript` is the whole conversation so far. The registry (`registerConversationEnv`,
 * `makeConversationEnv`) holds conversation environments by id, apart from lib/core's registry of
 * vector-observation environments, whose `Env` has spaces and numeric actions.
 */
import type { Info, ResetArgs } from "../../core/env";
import type { Rng } from "../../core/rng";
import type { ChatFormat, Message } from "./messages";

export interface ConversationResetResult {
  messages: Message[];
  info: Info;
}

export interface ConversationStepResult {
  /** The environment's turn: the messages after the agent's (empty when the episode is over). */
  messages: Message[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

export interface ConversationEnv {
  readonly id: string;
  /** How messages are written for a language model (role markers). */
  readonly chat: ChatFormat;
  /** Agent turns after which an unfinished episode is truncated. */
  readonly maxTurns: number;
  /** The whole conversation so far (a copy). */
  readonly transcript: Message[];
  reset(args?: ResetArgs): ConversationResetResult;
  step(agentText: string): ConversationStepResult;
}

/** Thrown for using an environment wrongly (stepping before reset or after the end). */
export class ConversationUsageError extends Error {
  constructor(envId: string, problem: string) {
    super(`${envId}: ${problem}`);
    this.name = "ConversationUsageError";
  }
}

/** Summary numbers of a set of finished episodes (their last `info`s), for evaluation. */
export type EpisodeSummary = Record<string, unknown>;

export interface ConversationEnvSpec {
  id: string;
  create: (options?: Record<string, unknown>) => ConversationEnv;
  /**
   * What "the same start" means for a group of episodes (GRPO): reset options drawn once per group
   * and given to every episode of it (OrderDesk-v0: the task).
   */
  groupStart?: (rng: Rng, options: Record<string, unknown>) => Record<string, unknown>;
  /** The environment's report card of finished episodes, from each episode's last `info`. */
  summarize?: (finalInfos: readonly Info[]) => EpisodeSummary;
}

// One table per process through a global symbol, as lib/core/registry does: two copies of this
// module (the kernel's and a notebook's) must see the same environments.
const SPECS = Symbol.for("tsrl.conversationEnvSpecs");
const specs: Map<string, ConversationEnvSpec> = ((globalThis as Record<symbol, unknown>)[SPECS] as Map<string, ConversationEnvSpec> | undefined)
  ?? ((globalThis as Record<symbol, unknown>)[SPECS] = new Map<string, ConversationEnvSpec>()) as Map<string, ConversationEnvSpec>;

export function registerConversationEnv(spec: ConversationEnvSpec): void {
  specs.set(spec.id, spec);
}

export function conversationEnvSpec(id: string): ConversationEnvSpec {
  const spec = specs.get(id);
  if (!spec) throw new RangeError(`unknown conversation environment '${id}'; registered: ${registeredConversationEnvs().join(", ") || "none (import lib/envs/order-desk to register OrderDesk-v0)"}`);
  return spec;
}

export function registeredConversationEnvs(): string[] {
  return [...specs.keys()];
}

export function makeConversationEnv(id: string, options?: Record<string, unknown>): ConversationEnv {
  return conversationEnvSpec(id).create(options);
}
