/**
 * `tsrl serve <dir> --stdio | --port N` for a GPT-2 directory (config.json with model_type "gpt2"
 * and model.safetensors, e.g. what `tsrl train grpo GPT2` writes).
 *
 * --stdio: one JSON request per line on stdin, one completion per line on stdout, in order.
 *
 *   → {"prompt": "The soup was", "max_new_tokens": 24, "temperature": 0.7, "id": 1}
 *   ← {"id": 1, "completion": " warm and the bread was fresh.", "tokens": 9, "finished": true}
 *
 * `max_new_tokens`, `temperature` (0 = greedy), `top_k` and `top_p` are optional (defaults from the
 * flags); sampling is seeded by --seed, one stream for the whole session. The request is
 * lib/serve/completion.ts's; the line contract (one answer per line, whatever it holds; `id`
 * echoed; long lines refused unread; back-pressure) lib/serve/json-lines.ts's. It ends at end of input.
 *
 * --port N: OpenAI's completions API (lib/serve/routes/completions.ts): GET /v1/models, POST
 * /v1/completions (streaming too), behind a bearer token and the server's limits (lib/serve/app.ts).
 * Requests that arrive together are sampled in one batch (--batch rows at most; an idle server waits
 * --batch-window-ms for a batch to fill). Requests without a `seed` draw from one stream seeded by --seed.
 *
 * Either way the prompt is fed as <|endoftext|> + its tokens (its end, if it is too long for the
 * model: only that end is tokenised). The tokenizer is the directory's tokenizer.json when there is
 * one, else GPT-2's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRng } from "../core/rng";
import { initBackend } from "../nn/backend";
import { loadGpt2 } from "../nn/gpt2/load";
import { loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import type { Gpt2 } from "../nn/gpt2/model";
import { completionSettings, createCompletionHandler, type CompletionDefaults } from "../serve/completion";
import { DEFAULT_BATCH, DEFAULT_COMPLETION_LIMITS, mountGpt2 } from "../serve/faces";
import { RequestError } from "../serve/request";
import { parseCommand, type CommandSpec } from "./args";
import { runHttpServer } from "./serve-http";
import { serveStdio } from "./serve-stdio";
import { chooseTransport, TRANSPORT_FLAGS } from "./serve-transport";

/** Over HTTP each request carries its own sampling settings; these set the stdio requests' defaults. */
const STDIO_DEFAULT_FLAGS = ["max-new-tokens", "temperature", "top-k", "top-p"];
const HTTP_GPT2_FLAGS = ["model-name", "max-tokens", "max-n", "batch", "batch-window-ms"];

const spec: CommandSpec = {
  usage: "tsrl serve <gpt2-dir> (--stdio [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--max-line-bytes N] | --port N [--host H] [--token-file F] [--model-name NAME] [limits]) [--seed S]",
  positionals: ["dir"],
  flags: [
    ...TRANSPORT_FLAGS,
    { name: "seed", type: "integer", help: "seed of the sampling (HTTP: of requests without their own seed)", default: 0 },
    { name: "max-new-tokens", type: "integer", help: "(--stdio) default new tokens per completion", default: 32 },
    { name: "temperature", type: "number", help: "(--stdio) default sampling temperature (0 = greedy)", default: 1 },
    { name: "top-k", type: "integer", help: "(--stdio) default top-k (0 = all)", default: 0 },
    { name: "top-p", type: "number", help: "(--stdio) default top-p (1 = all)", default: 1 },
    { name: "model-name", type: "string", help: "(--port) the model's name in /v1/models and requests (default: the directory's name)" },
    { name: "max-tokens", type: "integer", help: "(--port) largest max_tokens a request may ask (also bounded by the model's positions)", default: DEFAULT_COMPLETION_LIMITS.maxTokens },
    { name: "max-n", type: "integer", help: "(--port) largest n a request may ask", default: DEFAULT_COMPLETION_LIMITS.maxN },
    { name: "batch", type: "integer", help: "(--port) most completions sampled together", default: DEFAULT_BATCH.maxBatch },
    { name: "batch-window-ms", type: "integer", help: "(--port) how long an idle server waits for a batch to fill", default: DEFAULT_BATCH.windowMs },
  ],
};

export async function serveGpt2Command(argv: string[]): Promise<number> {
  const parsed = parseCommand("serve", argv, spec, "Serve a GPT-2 directory's completions over JSON lines (--stdio) or OpenAI's completions API (--port).");
  if (typeof parsed === "number") return parsed;
  const transport = chooseTransport(parsed.flags, { httpOnly: HTTP_GPT2_FLAGS, stdioOnly: STDIO_DEFAULT_FLAGS });
  if (typeof transport === "string") {
    console.error(`tsrl serve: ${transport}`);
    return 2;
  }
  const dir = parsed.positionals[0];
  const flag = (name: string, fallback: number) => (parsed.flags[name] as number | undefined) ?? fallback;
  const http = "http" in transport ? transport.http : undefined;
  if (http) {
    for (const name of ["max-tokens", "max-n", "batch"]) if (flag(name, 1) < 1) { console.error(`tsrl serve: --${name} ${flag(name, 1)}: expected a positive integer`); return 2; }
    if (flag("batch-window-ms", 0) < 0) { console.error(`tsrl serve: --batch-window-ms ${flag("batch-window-ms", 0)}: expected 0 or more`); return 2; }
  }
  const model = await openServedGpt2(dir);
  if (!model) return 1;
  try {
    const tok = fs.existsSync(path.join(dir, "tokenizer.json")) ? loadGpt2Tokenizer(dir) : loadGpt2Tokenizer();
    const rng = createRng(flag("seed", 0));
    const what = `GPT-2 (${model.config.nLayer} layers, ${model.config.nEmbd} wide, ${model.config.nPositions} positions) from ${path.resolve(dir)}`;
    if (http) {
      const name = (parsed.flags["model-name"] as string | undefined) ?? path.basename(path.resolve(dir));
      const m = model;
      return await runHttpServer(http, (app) => ({ // returns after the last request is answered
        what: `${what}, as "${name}"`,
        ...mountGpt2(app, m, tok, {
          name,
          rng,
          maxQueue: http.queue,
          batch: { maxBatch: flag("batch", DEFAULT_BATCH.maxBatch), windowMs: flag("batch-window-ms", DEFAULT_BATCH.windowMs) },
          limits: { maxTokens: flag("max-tokens", DEFAULT_COMPLETION_LIMITS.maxTokens), maxN: flag("max-n", DEFAULT_COMPLETION_LIMITS.maxN) },
          created: Math.floor(fs.statSync(path.join(dir, "config.json")).mtimeMs / 1000),
        }),
      }));
    }
    const defaults: CompletionDefaults = {
      maxNewTokens: flag("max-new-tokens", 32),
      temperature: flag("temperature", 1),
      topK: flag("top-k", 0),
      topP: flag("top-p", 1),
    };
    try {
      completionSettings({ prompt: "", max_new_tokens: defaults.maxNewTokens, temperature: defaults.temperature, top_k: defaults.topK, top_p: defaults.topP }, model, defaults);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      console.error(`tsrl serve: flags: --${err.message.replace(/_/g, "-")}`);
      return 2;
    }
    const handle = createCompletionHandler(model, tok, defaults, rng);
    console.error(`tsrl serve: ${what}; reading JSON lines on stdin`);
    return await serveStdio(handle, (transport as { stdio: { maxLineBytes: number } }).stdio);
  } finally {
    model.dispose();
  }
}

/** The GPT-2 in `dir`, the backend initialised, to serve; undefined after saying on stderr why it cannot be read (exit 1). */
export async function openServedGpt2(dir: string): Promise<Gpt2 | undefined> {
  await initBackend({ quiet: true });
  try {
    return loadGpt2(dir);
  } catch (err) {
    console.error(`tsrl serve: ${(err as Error).message}`);
    return undefined;
  }
}
