/**
 * `tsrl serve DIR --stdio | --port N` for a conversation agent (DIR holds grpo_run.json naming a
 * conversation environment, as `tsrl train grpo OrderDesk-v0` writes): the agent's next message for
 * a conversation.
 *
 * --stdio: one JSON request per line, one answer per line (lib/serve/chat.ts; `id` echoed):
 *
 *   → {"messages": [{"role": "user", "content": "When will order 4471 arrive?"}], "id": 1}
 *   ← {"id": 1, "message": {"role": "assistant", "content": "<call>lookup order 4471</call>"}, "tokens": 11, "finished": true}
 *
 * --port N: POST /v1/chat/completions in OpenAI's chat shape (lib/serve/routes/chat.ts) on the
 * server of lib/serve/app.ts: bearer token, limits, the same error answers as its other routes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRng } from "../core/rng";
import { conversationEnvSpec } from "../envs/conversation/env";
import { loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { createChatHandler, type ChatDefaults } from "../serve/chat";
import { registerChatRoute } from "../serve/routes/chat";
import { createWorkQueue } from "../serve/work-queue";
import { parseCommand, type CommandSpec } from "./args";
import { conversationRun } from "./eval-conversation";
import { openServedGpt2 } from "./serve-gpt2";
import { runHttpServer } from "./serve-http";
import { serveStdio } from "./serve-stdio";
import { chooseTransport, TRANSPORT_FLAGS } from "./serve-transport";

const spec: CommandSpec = {
  usage: "tsrl serve <agent-dir> (--stdio [--max-line-bytes N] | --port N [--host H] [--token-file F] [limits]) [--seed S] [--max-new-tokens N] [--temperature T]",
  positionals: ["dir"],
  flags: [
    ...TRANSPORT_FLAGS,
    { name: "seed", type: "integer", help: "seed of the sampling (requests without their own seed)", default: 0 },
    { name: "max-new-tokens", type: "integer", help: "default most tokens of the agent's message (the run's maxCompletionLength)" },
    { name: "temperature", type: "number", help: "default sampling temperature (0 = greedy)", default: 0 },
  ],
};

export async function serveChatCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("serve", argv, spec, "Serve a conversation agent: the next message of a conversation, over JSON lines (--stdio) or POST /v1/chat/completions (--port).");
  if (typeof parsed === "number") return parsed;
  const transport = chooseTransport(parsed.flags);
  if (typeof transport === "string") {
    console.error(`tsrl serve: ${transport}`);
    return 2;
  }
  const dir = parsed.positionals[0];
  const run = conversationRun(dir);
  if (!run) {
    console.error(`tsrl serve: ${dir} has no grpo_run.json naming a conversation environment`);
    return 1;
  }
  const defaults: ChatDefaults = {
    maxNewTokens: (parsed.flags["max-new-tokens"] as number | undefined) ?? run.maxCompletionLength ?? 32,
    temperature: (parsed.flags.temperature as number | undefined) ?? 0,
  };
  if (!(Number.isInteger(defaults.maxNewTokens) && defaults.maxNewTokens >= 1)) { console.error(`tsrl serve: --max-new-tokens ${defaults.maxNewTokens}: expected a positive integer`); return 2; }
  if (!(defaults.temperature >= 0)) { console.error(`tsrl serve: --temperature ${defaults.temperature}: expected a number ≥ 0`); return 2; }
  const model = await openServedGpt2(dir);
  if (!model) return 1;
  try {
    const tok = loadGpt2Tokenizer();
    const chat = conversationEnvSpec(run.env).create().chat;
    const rng = createRng((parsed.flags.seed as number | undefined) ?? 0);
    const what = `${run.env} agent (GPT-2, ${model.config.nLayer} layers, ${model.config.nEmbd} wide) from ${path.resolve(dir)}`;
    if ("http" in transport) {
      const http = transport.http;
      const name = path.basename(path.resolve(dir));
      const m = model;
      return await runHttpServer(http, (app) => {
        const queue = createWorkQueue({ maxPending: http.queue, name: "chat" });
        registerChatRoute(app, { model: m, tokenizer: tok, chat, name, defaults, rng, queue, created: Math.floor(fs.statSync(path.join(dir, "config.json")).mtimeMs / 1000) });
        return { what: `${what}, as "${name}"`, idle: () => queue.idle() };
      });
    }
    console.error(`tsrl serve: ${what}; reading JSON lines on stdin`);
    return await serveStdio(createChatHandler(model, tok, chat, defaults, rng), transport.stdio);
  } finally {
    model.dispose();
  }
}
