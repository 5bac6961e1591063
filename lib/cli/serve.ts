/**
 * `tsrl serve <dir> --stdio` — lets any program drive a trained agent: one JSON request per line on
 * stdin, one JSON answer per line on stdout, in order.
 *
 *   → {"obs": [0, 1, 0, -1, 0, 0, 0, 0, 0], "mask": [1, 0, 1, 0, 1, 1, 1, 1, 1]}
 *   ← {"action": 4, "probs": [0.01, 0, 0.02, 0, 0.93, …]}
 *
 * `mask` (1 legal, 0 illegal) is optional; `greedy` (default true) picks the most probable legal
 * action, false samples it (seeded by --seed); an `id` is echoed back. A malformed line gets one
 * line `{"error": "line 3: …"}` naming the problem, and the server goes on; it ends at end of input.
 * Progress and diagnostics go to stderr; stdout carries only answers. An edit agent's checkpoint
 * answers {"instruction", "text"} lines with the edited text and its steps instead (lib/cli/serve-edit).
 */
import * as readline from "node:readline";
import { makeEnv } from "../core/registry";
import { createRng } from "../core/rng";
import { flatSize } from "../core/spaces";
import { CheckpointError } from "../data/checkpoint";
import { loadPolicy } from "../algos/checkpoint";
import { EDIT_AGENT_ID } from "../envs/edit-agent";
import { initBackend } from "../nn/backend";
import { parseCommand, type CommandSpec } from "./args";
import { answerEditRequest } from "./serve-edit";

const spec: CommandSpec = {
  usage: "tsrl serve <dir> --stdio [--seed S]",
  positionals: ["dir"],
  flags: [
    { name: "stdio", type: "boolean", help: "answer JSON lines on stdin with JSON lines on stdout (the only transport so far)" },
    { name: "seed", type: "integer", help: "seed of the sampling when a request asks for greedy: false", default: 0 },
  ],
};

export async function serveCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("serve", argv, spec, "Serve a trained agent's actions over JSON lines.");
  if (typeof parsed === "number") return parsed;
  if (parsed.flags.stdio !== true) {
    console.error("tsrl serve: give --stdio (JSON lines on stdin and stdout; the only transport so far)");
    return 2;
  }
  await initBackend({ quiet: true }); // the edit agent's network runs on tfjs
  let policy: ReturnType<typeof loadPolicy>;
  try {
    policy = loadPolicy(parsed.positionals[0]);
  } catch (err) {
    if (err instanceof CheckpointError) { console.error(`tsrl serve: ${err.message}`); return 1; }
    throw err;
  }
  const env = makeEnv(policy.envId);
  const obsSize = flatSize(env.observationSpace);
  const nActions = env.actionSpace.kind === "discrete" ? env.actionSpace.n : 0;
  env.close?.();
  const rng = createRng((parsed.flags.seed as number | undefined) ?? 0);
  console.error(`tsrl serve: ${policy.algorithm} on ${policy.envId} from ${policy.dir}; reading JSON lines on stdin`);

  const edits = policy.envId === EDIT_AGENT_ID;
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    process.stdout.write(JSON.stringify(edits ? answerEditRequest(policy, line, lineNo) : answer(line, lineNo)) + "\n");
  }
  return 0;

  function answer(line: string, n: number): Record<string, unknown> {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch (err) {
      return { error: `line ${n}: not JSON (${(err as Error).message})` };
    }
    const problem = checkRequest(request, obsSize, nActions);
    if (problem) return { error: `line ${n}: ${problem}`, ...idOf(request) };
    const r = request as { obs: number[]; mask?: number[]; greedy?: boolean };
    const obs = Float32Array.from(r.obs);
    const mask = r.mask ? Uint8Array.from(r.mask) : undefined;
    const action = policy.act(obs, { greedy: r.greedy ?? true, rng, mask });
    return { ...idOf(request), action, probs: Array.from(policy.probs(obs, mask), (p) => Number(p.toPrecision(6))) };
  }
}

function idOf(request: unknown): { id?: unknown } {
  const id = (request as { id?: unknown } | null)?.id;
  return id === undefined ? {} : { id };
}

/** What is wrong with a request, or undefined. */
export function checkRequest(request: unknown, obsSize: number, nActions: number): string | undefined {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return `expected an object like {"obs": [...], "mask": [...]}, got ${JSON.stringify(request)}`;
  const r = request as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !["obs", "mask", "greedy", "id"].includes(k));
  if (unknown.length) return `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; expected obs, mask, greedy, id`;
  if (!Array.isArray(r.obs) || r.obs.length !== obsSize || !r.obs.every((x) => typeof x === "number" && Number.isFinite(x))) {
    return `obs must be an array of ${obsSize} finite numbers, got ${JSON.stringify(r.obs)}`;
  }
  if (r.mask !== undefined) {
    if (!Array.isArray(r.mask) || r.mask.length !== nActions || !r.mask.every((x) => x === 0 || x === 1)) return `mask must be an array of ${nActions} zeros and ones, got ${JSON.stringify(r.mask)}`;
    if (!r.mask.includes(1)) return "mask allows no action";
  }
  if (r.greedy !== undefined && typeof r.greedy !== "boolean") return `greedy must be true or false, got ${JSON.stringify(r.greedy)}`;
  return undefined;
}
