/**
 * The act request of a trained agent: an observation (and optionally the legal actions) in, the
 * action and the policy's probabilities out.
 *
 *   {"obs": [0, 1, 0, -1, 0, 0, 0, 0, 0], "mask": [1, 0, 1, 0, 1, 1, 1, 1, 1], "greedy": true}
 *   → {"action": 4, "probs": [0.01, 0, 0.02, 0, 0.93, …]}
 *
 * The observation must be one the env could show its agent: finite numbers of the right length,
 * then whatever the env itself checks (`observation.check` in its registry entry: Tic-Tac-Toe's cells
 * are +1, −1 or 0, on the agent's turn of a game still going). A mask (1 legal, 0 illegal) may only
 * narrow the actions the state allows (`observation.legalActions`: a Tic-Tac-Toe mask that opens an occupied
 * cell is refused); without one the state's legal actions are used. `greedy` (default true) takes
 * the most probable legal action; false samples it with the handler's generator.
 */
import { envSpec, makeEnv } from "../envs/registry";
import type { Rng } from "../core/rng";
import { flatSize } from "../core/spaces";
import type { LoadedPolicy } from "../algos/checkpoint";
import { checkFields, excerpt, ModelOutputError, RequestError, type RequestHandler } from "./request";

const FIELDS = ["obs", "mask", "greedy"];
const EXAMPLE = '{"obs": [...], "mask": [...]}';

/** The handler for `policy` (an env-agent checkpoint whose observations are number vectors). */
export function createActHandler(policy: Pick<LoadedPolicy, "envId" | "act" | "probs">, rng: Rng): RequestHandler {
  const env = makeEnv(policy.envId);
  const obsSize = flatSize(env.observationSpace);
  const nActions = env.actionSpace.kind === "discrete" ? env.actionSpace.n : 0;
  env.close?.();
  const spec = envSpec(policy.envId);

  return (request: unknown) => {
    const r = checkFields(request, FIELDS, EXAMPLE);
    const obs = readObservation(r.obs, obsSize, policy.envId, spec.observation?.check);
    const legal = spec.observation?.legalActions?.(obs);
    const mask = r.mask === undefined ? legal : readMask(r.mask, nActions, legal);
    if (r.greedy !== undefined && typeof r.greedy !== "boolean") throw new RequestError(`greedy must be true or false, got ${excerpt(r.greedy)}`, "greedy");
    checkFiniteOutput(policy, obs);
    const action = policy.act(obs, { greedy: (r.greedy as boolean | undefined) ?? true, rng, mask });
    return { action, probs: Array.from(policy.probs(obs, mask), (p) => Number(p.toPrecision(6))) };
  };
}

function readObservation(value: unknown, size: number, envId: string, check: ((obs: ArrayLike<number>) => string | undefined) | undefined): Float32Array {
  if (!Array.isArray(value) || value.length !== size || !value.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new RequestError(`obs must be an array of ${size} finite numbers, got ${excerpt(value)}`, "obs");
  }
  const problem = check?.(value as number[]); // the numbers as sent, so a message quotes them exactly
  if (problem) throw new RequestError(`obs is not a ${envId} observation: ${problem}`, "obs");
  return Float32Array.from(value as number[]);
}

function readMask(value: unknown, nActions: number, legal: Uint8Array | undefined): Uint8Array {
  if (!Array.isArray(value) || value.length !== nActions || !value.every((x) => x === 0 || x === 1)) {
    throw new RequestError(`mask must be an array of ${nActions} zeros and ones, got ${excerpt(value)}`, "mask");
  }
  if (!value.includes(1)) throw new RequestError("mask allows no action", "mask");
  if (legal) {
    const illegal = value.flatMap((m, a) => (m === 1 && !legal[a] ? [a] : []));
    if (illegal.length) throw new RequestError(`mask allows action${illegal.length > 1 ? "s" : ""} ${illegal.join(", ")}, which obs does not (legal: ${legal.reduce<number[]>((acc, m, a) => (m ? [...acc, a] : acc), []).join(", ")})`, "mask");
  }
  return Uint8Array.from(value as number[]);
}

/**
 * A checkpoint whose weights hold NaN or ±Infinity (or values so large that they overflow) makes
 * NaN probabilities: say so rather than answer with an arbitrary action. The unmasked distribution
 * is checked, so no mask can hide it. `obs` is what the policy's `probs` takes (the env's observation).
 */
export function checkFiniteOutput(policy: Pick<LoadedPolicy, "probs">, obs: unknown): void {
  let probs: Float32Array | undefined;
  try {
    probs = policy.probs(obs as Float32Array);
  } catch {
    probs = undefined; // softmaxRow finds no finite logit when they are all NaN
  }
  if (!probs || !probs.every(Number.isFinite)) {
    throw new ModelOutputError("the policy's output is not a number for this observation (NaN): the checkpoint's weights hold NaN or ±Infinity, or values so large they overflow");
  }
}
