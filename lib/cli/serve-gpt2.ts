/**
 * `tsrl serve <dir> --stdio` for a GPT-2 directory (config.json with model_type "gpt2" and
 * model.safetensors, e.g. what `tsrl train grpo GPT2` writes): one JSON request per line on stdin,
 * one completion per line on stdout, in order.
 *
 *   → {"prompt": "The soup was", "max_new_tokens": 24, "temperature": 0.7, "id": 1}
 *   ← {"id": 1, "completion": " warm and the bread was fresh.", "tokens": 9, "finished": true}
 *
 * `max_new_tokens`, `temperature` (0 = greedy), `top_k` and `top_p` are optional (defaults from the
 * flags); sampling is seeded by --seed, one stream for the whole session. The prompt is fed as
 * <|endoftext|> + its tokens (its end, if it is too long for the model: only that end is tokenised).
 * The request is lib/serve/completion.ts's; the line contract (one answer per line, whatever it
 * holds; `id` echoed; long lines refused unread; back-pressure) lib/serve/json-lines.ts's. It ends at
 * end of input. The tokenizer is the directory's tokenizer.json when there is one, else GPT-2's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRng } from "../core/rng";
import { initBackend } from "../nn/backend";
import { loadGpt2 } from "../nn/gpt2/load";
import { loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import type { Gpt2 } from "../nn/gpt2/model";
import { completionSettings, createCompletionHandler, type CompletionDefaults } from "../serve/completion";
import { RequestError } from "../serve/request";
import { parseCommand, type CommandSpec } from "./args";
import { serveStdio, stdioSettings, STDIO_FLAGS } from "./serve-stdio";

/** True when `dir` holds a Hugging Face GPT-2 config (model_type "gpt2"), not a tsrl agent checkpoint. */
export function isGpt2Directory(dir: string | undefined): boolean {
  if (!dir) return false;
  try {
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    return config?.model_type === "gpt2" && config.algorithm === undefined;
  } catch {
    return false;
  }
}

const spec: CommandSpec = {
  usage: "tsrl serve <gpt2-dir> --stdio [--seed S] [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--max-line-bytes N]",
  positionals: ["dir"],
  flags: [
    ...STDIO_FLAGS,
    { name: "seed", type: "integer", help: "seed of the sampling", default: 0 },
    { name: "max-new-tokens", type: "integer", help: "default new tokens per completion", default: 32 },
    { name: "temperature", type: "number", help: "default sampling temperature (0 = greedy)", default: 1 },
    { name: "top-k", type: "integer", help: "default top-k (0 = all)", default: 0 },
    { name: "top-p", type: "number", help: "default top-p (1 = all)", default: 1 },
  ],
};

export async function serveGpt2Command(argv: string[]): Promise<number> {
  const parsed = parseCommand("serve", argv, spec, "Serve a GPT-2 directory's completions over JSON lines.");
  if (typeof parsed === "number") return parsed;
  const settings = stdioSettings(parsed.flags);
  if (typeof settings === "string") {
    console.error(`tsrl serve: ${settings}`);
    return 2;
  }
  const dir = parsed.positionals[0];
  await initBackend({ quiet: true });
  let model: Gpt2;
  try {
    model = loadGpt2(dir);
  } catch (err) {
    console.error(`tsrl serve: ${(err as Error).message}`);
    return 1;
  }
  try {
    const defaults: CompletionDefaults = {
      maxNewTokens: (parsed.flags["max-new-tokens"] as number | undefined) ?? 32,
      temperature: (parsed.flags.temperature as number | undefined) ?? 1,
      topK: (parsed.flags["top-k"] as number | undefined) ?? 0,
      topP: (parsed.flags["top-p"] as number | undefined) ?? 1,
    };
    try {
      completionSettings({ prompt: "", max_new_tokens: defaults.maxNewTokens, temperature: defaults.temperature, top_k: defaults.topK, top_p: defaults.topP }, model, defaults);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      console.error(`tsrl serve: flags: --${err.message.replace(/_/g, "-")}`);
      return 2;
    }
    const tok = fs.existsSync(path.join(dir, "tokenizer.json")) ? loadGpt2Tokenizer(dir) : loadGpt2Tokenizer();
    const handle = createCompletionHandler(model, tok, defaults, createRng((parsed.flags.seed as number | undefined) ?? 0));
    console.error(`tsrl serve: GPT-2 (${model.config.nLayer} layers, ${model.config.nEmbd} wide) from ${path.resolve(dir)}; reading JSON lines on stdin`);
    return await serveStdio(handle, settings);
  } finally {
    model.dispose();
  }
}
