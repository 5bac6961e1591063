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

export type Info = Record<string, unknown>;

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
