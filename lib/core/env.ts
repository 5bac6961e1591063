/**
 * The environment interface, as in Gymnasium:
 *
 *   reset({ seed?, options? }) → { obs, info }
 *   step(action)               → { obs, reward, terminated, truncated, info }
 *
 * `terminated`: the episode reached a terminal state of the MDP (pole fell, game won) — no future reward.
 * `truncated`:  the episode was cut short from outside (time limit) — the state still had a future.
 * Bootstrapped targets (actor-critic, GAE) must treat them differently, so they are never merged.
 */
import type { Space } from "./spaces";

/**
 * Extra facts about a step. One key has a fixed meaning across tsrl: `actionMask`, present when
 * some actions are illegal in the current state (Tic-Tac-Toe's occupied squares, the edit agent's
 * impossible edits) — a Uint8Array over the discrete actions, 1 legal / 0 illegal. Policies act
 * only among legal actions (`act(obs, { mask })`), and losses mask the same logits.
 */
export type Info = Record<string, unknown> & { actionMask?: Uint8Array };

/** `info.actionMask`, checked: undefined when absent; throws naming the env if it is malformed. */
export function actionMaskOf(info: Info | undefined, nActions: number, envId = "env"): Uint8Array | undefined {
  const mask = info?.actionMask;
  if (mask === undefined) return undefined;
  if (!(mask instanceof Uint8Array) || mask.length !== nActions) {
    throw new TypeError(`${envId}: info.actionMask must be a Uint8Array of ${nActions} entries (1 legal, 0 illegal), got ${formatValue(mask)}`);
  }
  if (!mask.some((m) => m > 0)) throw new RangeError(`${envId}: info.actionMask allows no action`);
  return mask;
}

export interface ResetArgs {
  /** Reseeds the environment's generator; without it the generator continues where it was. */
  seed?: number;
  /** Environment-specific reset options (e.g. CartPole's `state`). */
  options?: Record<string, unknown>;
}

export interface ResetResult<O> {
  obs: O;
  info: Info;
}

export interface StepResult<O> {
  obs: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

export interface Env<O = Float32Array, A = number> {
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  reset(args?: ResetArgs): ResetResult<O>;
  step(action: A): StepResult<O>;
  /** Optional picture of the current state (SVG text), for notebooks. */
  render?(): string;
  /** The innermost environment when this one is a wrapper (its extra fields, e.g. `state`, live there). */
  readonly unwrapped?: Env<O, A>;
  close?(): void;
  /**
   * The environment's whole state — its generator, the episode in progress, step counters — as
   * plain JSON, so a training run can be resumed exactly where it stopped (lib/algos/resume).
   * Absent where it cannot be captured (a Box2D world, an opponent that is a function).
   */
  saveState?(): unknown;
  /** Puts the environment back into a state from `saveState()`; throws naming what does not fit. */
  loadState?(state: unknown): void;
}

/** Error for an action outside the action space; the message names the action and the space. */
export class InvalidActionError extends RangeError {
  constructor(envId: string, action: unknown, expected: string) {
    super(`${envId}: invalid action ${formatValue(action)} — expected ${expected}`);
    this.name = "InvalidActionError";
  }
}

export function formatValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Float32Array || v instanceof Float64Array) return `[${Array.from(v).join(", ")}]`;
  try {
    return `${JSON.stringify(v) ?? String(v)} (${v === null ? "null" : typeof v})`;
  } catch {
    return String(v);
  }
}
