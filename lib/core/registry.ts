/**
 * `makeEnv("CartPole-v1")`: environments by name, with the wrappers Gymnasium's registry applies
 * (a time limit that *truncates*, never terminates). This is the mechanism; the built-in
 * environments register in lib/envs/registry.ts, which the rest of the library imports `makeEnv` from.
 *
 * An entry is an id and a constructor, plus optional hooks grouped by what the environment can do
 * (a report card, episode hooks, observation hooks, demonstrations, two-player games): algorithms
 * and the CLI ask for a capability, and an env without it simply does not offer it.
 */
import type { Env, Info } from "./env";
import type { Rng } from "./rng";
import { timeLimit } from "./wrappers";
import { vectorEnv, type VectorEnv } from "./vector-env";

export interface EnvSpec<O = unknown, A = unknown> {
  id: string;
  /** Builds a fresh, unwrapped environment. */
  create: (options?: Record<string, unknown>) => Env<O, A>;
  /** Episodes are truncated after this many steps (Gymnasium's `max_episode_steps`). */
  maxEpisodeSteps?: number;
  /** Return at which the task counts as solved (Gymnasium's `reward_threshold`). */
  rewardThreshold?: number;
  /**
   * The environment's own report card for a policy, beyond the mean return: numbers that go into
   * the training log as columns (Tic-Tac-Toe: win/draw/loss rates against each opponent and the
   * losses reachable by any opponent). `solved` (1 or 0), when present, is what "solved" means for
   * this task; algorithms can stop on it.
   */
  evaluate?: (act: PolicyAct, opts?: { seed?: number; games?: number }) => Record<string, number>;
  /** What episodes share and what they say: GRPO's group starts, per-episode training numbers. */
  episodes?: EpisodeHooks;
  /** What tsrl can do with an observation beyond its space: flatten a structured one, check one, read its legal actions. */
  observation?: ObservationHooks;
  /**
   * Expert steps for a behaviour-cloning warm start (EditAgent-v0: its oracle's minimal edits on
   * the training tasks), in an order drawn with `rng`: the env's observation, the expert's action
   * and the legal actions there.
   */
  demonstrations?: (options: Record<string, unknown>, rng: Rng) => Demonstration[];
  /** Two-player games: built-in opponents, self-play, matches and the exhaustive proof (Tic-Tac-Toe). */
  twoPlayer?: TwoPlayerHooks;
}

export interface EpisodeHooks {
  /**
   * What "the same start" means for a group of episodes (GRPO): reset options drawn once per group
   * and given to every episode of it (Tic-Tac-Toe: the agent's side). Without it, a group's episodes
   * share only what the seed decides.
   */
  groupStart?: (rng: Rng, options: Record<string, unknown>) => Record<string, unknown>;
  /**
   * Numbers the last step's `info` says about a training episode (EditAgent-v0: exact match, edits,
   * the task's minimal edits), averaged over each update's episodes into its metrics row.
   */
  metrics?: (info: Info) => Record<string, number>;
}

export interface ObservationHooks {
  /**
   * For an env whose observation is not a flat vector (EditAgent-v0's is an object): the flat
   * Float32Array of its `observationSpace` that networks read. Algorithms that support it store and
   * act on `featurize(obs)`, and their agents' `act` takes the env's own observation.
   */
  featurize?: (obs: unknown) => Float32Array;
  /**
   * What is wrong with `obs` as an observation this env shows its agent, beyond length and
   * finiteness (which every vector observation is checked for), or undefined. Servers check requests
   * with it (Tic-Tac-Toe: cells are +1, −1 or 0, and it is the agent's turn in a game still going).
   */
  check?: (obs: ArrayLike<number>) => string | undefined;
  /** The legal actions (1 legal) in the state `obs` shows, when the observation alone decides them (Tic-Tac-Toe: the free cells). */
  legalActions?: (obs: Float32Array) => Uint8Array;
}

export interface TwoPlayerHooks {
  /** The built-in opponents by name, and the sides an agent can play. */
  opponents: readonly string[];
  sides: readonly string[];
  /**
   * Env options that make each new game's opponent `draw()` — a frozen policy for self-play — or,
   * when it returns undefined, the opponent the options already name.
   */
  selfPlayOptions: (options: Record<string, unknown>, draw: () => PolicyAct | undefined) => Record<string, unknown>;
  /** Games against one built-in opponent, as a side (sampled). */
  playMatches: (act: PolicyAct, opponent: string, opts: { games: number; side: string; seed: number }) => MatchCounts;
  /** Every game any opponent can force against the greedy policy, as a side: a proof, not a sample. */
  exhaustive: (act: PolicyAct, side: string) => MatchCounts;
}

/** One expert step: what the env showed, what the expert did, what was legal. */
export interface Demonstration {
  obs: unknown;
  action: number;
  mask?: Uint8Array;
}

/** Outcomes of a set of games. */
export interface MatchCounts {
  games: number;
  wins: number;
  draws: number;
  losses: number;
}

/** A policy as environments' evaluators call it: one observation, greedy or sampled, among the legal actions. */
export type PolicyAct = (obs: Float32Array, ctx: { greedy: boolean; rng: Rng; mask?: Uint8Array }) => number;

// One table per process, shared through a global symbol: two copies of this module (the kernel's
// and a notebook's, or a test runner's and a script's) must see the same environments.
const SPECS = Symbol.for("tsrl.envSpecs");
const specs: Map<string, EnvSpec> = ((globalThis as Record<symbol, unknown>)[SPECS] as Map<string, EnvSpec> | undefined)
  ?? ((globalThis as Record<symbol, unknown>)[SPECS] = new Map<string, EnvSpec>()) as Map<string, EnvSpec>;

export function registerEnv<O, A>(spec: EnvSpec<O, A>): void {
  specs.set(spec.id, spec as EnvSpec);
}

export function envSpec(id: string): EnvSpec {
  const spec = specs.get(id);
  if (!spec) {
    const known = registeredEnvs();
    throw new RangeError(`unknown environment '${id}'; registered: ${known.join(", ") || "none (the built-in ones register when tsrl, or tsrl/envs/registry, is imported)"}`);
  }
  return spec;
}

export function registeredEnvs(): string[] {
  return [...specs.keys()];
}

export interface MakeOptions {
  /** Override the registered time limit (`Infinity` for none). */
  maxEpisodeSteps?: number;
  /** Passed to the environment's constructor. */
  options?: Record<string, unknown>;
}

export function makeEnv<O = Float32Array, A = number>(id: string, opts: MakeOptions = {}): Env<O, A> {
  const spec = envSpec(id);
  const env = spec.create(opts.options) as Env<O, A>;
  const limit = opts.maxEpisodeSteps ?? spec.maxEpisodeSteps;
  return limit !== undefined && Number.isFinite(limit) ? timeLimit(env, limit) : env;
}

export function makeVectorEnv<O = Float32Array, A = number>(id: string, numEnvs: number, opts: MakeOptions = {}): VectorEnv<O, A> {
  if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`numEnvs must be a positive integer, got ${numEnvs}`);
  return vectorEnv(Array.from({ length: numEnvs }, () => makeEnv<O, A>(id, opts)));
}
