/**
 * `tsrl serve <dir> --stdio | --port N` — lets any program drive a trained agent, over JSON lines
 * (one request per line on stdin, one answer per line on stdout, in order) or HTTP.
 *
 *   → {"obs": [0, 1, 0, -1, 0, 0, 0, 0, 0], "mask": [1, 0, 1, 0, 1, 1, 1, 1, 1], "id": 3}
 *   ← {"id": 3, "action": 4, "probs": [0.01, 0, 0.02, 0, 0.93, …]}
 *
 *   curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
 *        -d '{"obs": [0, 1, 0, -1, 0, 0, 0, 0, 0]}' http://127.0.0.1:8000/v1/act
 *
 * What a request may hold and what it gets back is the handler's (lib/serve/act.ts; an edit agent's
 * checkpoint answers {"instruction", "text"} with lib/serve/edit.ts, over HTTP at POST /v1/edit);
 * the line contract is lib/serve/json-lines.ts's, the HTTP one lib/serve/app.ts's (token, limits).
 * `greedy: false` samples with a generator seeded by --seed. Progress and diagnostics go to stderr;
 * stdout carries only answers (HTTP: one line saying where it listens). Over stdio it ends at end of
 * input (exit 0); over HTTP at SIGTERM (0) or Ctrl-C (130).
 */
import { createRng } from "../core/rng";
import { CheckpointError } from "../data/checkpoint";
import { loadPolicy } from "../algos/registry";
import { EDIT_AGENT_ID } from "../envs/edit/edit-agent";
import { initBackend } from "../nn/backend";
import { createActHandler } from "../serve/act";
import { createEditHandler } from "../serve/edit";
import { mountPolicy } from "../serve/faces";
import { parseCommand, type CommandSpec } from "./args";
import { runHttpServer } from "./serve-http";
import { serveStdio } from "./serve-stdio";
import { chooseTransport, TRANSPORT_FLAGS } from "./serve-transport";

const spec: CommandSpec = {
  usage: "tsrl serve <dir> (--stdio [--max-line-bytes N] | --port N [--host H] [--token-file F] [limits]) [--seed S]",
  positionals: ["dir"],
  flags: [
    ...TRANSPORT_FLAGS,
    { name: "seed", type: "integer", help: "seed of the sampling when a request asks for greedy: false", default: 0 },
  ],
};

export async function serveCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("serve", argv, spec, "Serve a trained agent's actions over JSON lines (--stdio) or HTTP (--port).");
  if (typeof parsed === "number") return parsed;
  const transport = chooseTransport(parsed.flags);
  if (typeof transport === "string") {
    console.error(`tsrl serve: ${transport}`);
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
  const what = `${policy.algorithm} on ${policy.envId} from ${policy.dir}`;
  if ("stdio" in transport) {
    console.error(`tsrl serve: ${what}; reading JSON lines on stdin`);
    return serveStdio(policy.envId === EDIT_AGENT_ID ? createEditHandler(policy) : createActHandler(policy, rng), transport.stdio);
  }
  const { http } = transport;
  return runHttpServer(http, (app) => ({ what, ...mountPolicy(app, policy, { rng, maxQueue: http.queue }) }));
}
