/**
 * `tsrl serve <dir> --stdio` — lets any program drive a trained agent: one JSON request per line on
 * stdin, one JSON answer per line on stdout, in order.
 *
 *   → {"obs": [0, 1, 0, -1, 0, 0, 0, 0, 0], "mask": [1, 0, 1, 0, 1, 1, 1, 1, 1], "id": 3}
 *   ← {"id": 3, "action": 4, "probs": [0.01, 0, 0.02, 0, 0.93, …]}
 *
 * What a request may hold and what it gets back is the handler's (lib/serve/act.ts; an edit agent's
 * checkpoint answers {"instruction", "text"} with lib/serve/edit.ts); the line contract — one answer
 * per line whatever it holds, the `id` echoed, long lines refused unread, back-pressure — is the
 * transport's (lib/serve/json-lines.ts). `greedy: false` samples with a generator seeded by --seed.
 * Progress and diagnostics go to stderr; stdout carries only answers. It ends at end of input (exit 0).
 */
import { createRng } from "../core/rng";
import { CheckpointError } from "../data/checkpoint";
import { loadPolicy } from "../algos/checkpoint";
import { EDIT_AGENT_ID } from "../envs/edit/edit-agent";
import { initBackend } from "../nn/backend";
import { createActHandler } from "../serve/act";
import { createEditHandler } from "../serve/edit";
import { parseCommand, type CommandSpec } from "./args";
import { serveStdio, stdioSettings, STDIO_FLAGS } from "./serve-stdio";

const spec: CommandSpec = {
  usage: "tsrl serve <dir> --stdio [--seed S] [--max-line-bytes N]",
  positionals: ["dir"],
  flags: [
    ...STDIO_FLAGS,
    { name: "seed", type: "integer", help: "seed of the sampling when a request asks for greedy: false", default: 0 },
  ],
};

export async function serveCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("serve", argv, spec, "Serve a trained agent's actions over JSON lines.");
  if (typeof parsed === "number") return parsed;
  const settings = stdioSettings(parsed.flags);
  if (typeof settings === "string") {
    console.error(`tsrl serve: ${settings}`);
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
  const rng = createRng((parsed.flags.seed as number | undefined) ?? 0);
  const handle = policy.envId === EDIT_AGENT_ID ? createEditHandler(policy) : createActHandler(policy, rng);
  console.error(`tsrl serve: ${policy.algorithm} on ${policy.envId} from ${policy.dir}; reading JSON lines on stdin`);
  return serveStdio(handle, settings);
}
