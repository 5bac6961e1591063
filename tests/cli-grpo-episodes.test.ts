/**
 * The command line of GRPO over episodes, on a random tiny GPT-2 saved by the test (whether GRPO
 * teaches OrderDesk-v0 is measured on the pretrained model, in minutes, not here):
 * `tsrl train grpo OrderDesk-v0 --model DIR` writes a GPT-2 directory with metrics.csv and
 * grpo_run.json carrying successBefore/successAfter and health; `tsrl eval DIR --tasks FILE`
 * reproduces successAfter; `tsrl serve DIR --stdio` answers {messages} lines (malformed ones with an
 * error, and goes on); POST /v1/chat/completions answers in OpenAI's chat shape behind the token,
 * a bad field a 400 naming it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { ORDER_DESK_CHAT } from "../lib/envs/order-desk";
import { initBackend } from "../lib/nn/backend";
import { GPT2_TINY, createGpt2, loadGpt2, loadGpt2Tokenizer, saveGpt2 } from "../lib/nn/gpt2";
import { createServer } from "../lib/serve/app";
import { registerChatRoute } from "../lib/serve/routes/chat";
import { createWorkQueue } from "../lib/serve/work-queue";
import { runProcess } from "./run-process";
import { call, TOKEN } from "./serve-http-harness";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-od-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runProcess(process.execPath, [tsrl, ...args], { cwd: root, timeout: 240_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const start = path.join(tmp, "start"), out = path.join(tmp, "agent");
const heldout = path.join(root, "datasets", "order-desk", "heldout.jsonl");

beforeAll(async () => {
  await initBackend({ quiet: true });
  const m = createGpt2({ ...GPT2_TINY, nLayer: 1, nHead: 2, nEmbd: 32, nPositions: 256 }, createRng(3));
  saveGpt2(m, start);
  m.dispose();
});

describe("tsrl train grpo OrderDesk-v0 / eval / serve", () => {
  it("trains, writes the directory and the run with successBefore/successAfter; eval reproduces successAfter", async () => {
    const r = await run(["train", "grpo", "OrderDesk-v0", "--model", start, "--steps", "2", "--prompts-per-step", "1", "--num-generations", "2",
      "--max-completion-length", "6", "--eval-tasks", "6", "--reward", "rules:keyword=0.5:sorry|thanks", "--out", out, "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(summary).toMatchObject({ algorithm: "grpo", env: "OrderDesk-v0", preset: "balanced", stopped: "done", steps: 2, episodes: 4, evalTasks: 6 });
    for (const k of ["successBefore", "successAfter", "meanTurnsBefore", "meanTurnsAfter"]) expect(typeof summary[k], k).toBe("number");
    expect(summary.health.status).toMatch(/healthy|warned/);
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "metrics.csv", "grpo_run.json"]) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const runFile = JSON.parse(fs.readFileSync(path.join(out, "grpo_run.json"), "utf8"));
    expect(runFile.config).toMatchObject({ maxSteps: 2, numGenerations: 2, baseline: "group_mean" });
    expect(runFile.after.successRate).toBe(summary.successAfter);
    // the environment's parts and the text part of --reward, each a column
    const header = fs.readFileSync(path.join(out, "metrics.csv"), "utf8").split("\n")[0].split(",");
    expect(header).toEqual(expect.arrayContaining(["rewardSuccess", "rewardInvalidCalls", "rewardTurns", "rewardText"]));
    expect(summary.reward).toBe("rules:keyword=0.5:sorry|thanks");

    const e = await run(["eval", out, "--tasks", heldout, "--episodes", "6", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout.trim());
    expect(ev).toMatchObject({ env: "OrderDesk-v0", episodes: 6, temperature: 1 });
    expect(ev.successRate).toBe(summary.successAfter);
    expect(ev.meanTurns).toBe(runFile.after.meanTurns);
    expect(ev.validCallRate).toEqual(runFile.after.validCallRate);
    expect(Object.keys(ev.perKind).length).toBeGreaterThan(0);
  }, 240_000);

  it("bad input is named: an unknown preset, a bad option, a missing model, a missing task file", async () => {
    const bad = async (args: string[], code: number, pattern: RegExp) => {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(pattern);
    };
    await bad(["train", "grpo", "OrderDesk-v0", "--model", start, "--preset", "wild"], 2, /preset/);
    await bad(["train", "grpo", "OrderDesk-v0", "--model", start, "--baseline", "mean"], 2, /baseline/);
    await bad(["train", "grpo", "OrderDesk-v0", "--model", start, "--reward", "rules:politeness=1"], 2, /unknown rule "politeness"/);
    await bad(["train", "grpo", "OrderDesk-v0", "--model", path.join(tmp, "nowhere"), "--out", path.join(tmp, "x")], 2, /--model .*nowhere/);
    await bad(["eval", out, "--tasks", path.join(tmp, "none.jsonl")], 1, /no such file/);
  }, 120_000);

  it("serve --stdio: the agent's next message per {messages} line; a malformed line gets an error and the next is answered", async () => {
    const lines = [
      JSON.stringify({ id: 1, messages: [{ role: "user", content: "When will order 4471 arrive?" }], temperature: 0 }),
      JSON.stringify({ id: 2, messages: [{ role: "robot", content: "hi" }] }),
      "not json",
      JSON.stringify({ id: 3, messages: [{ role: "user", content: "What is in order 4471?" }, { role: "assistant", content: "<call>lookup order 4471</call>" }, { role: "tool", content: "order 4471: Maya Chen; shipped; arrives May 14; red lamp x2" }] }),
    ].join("\n") + "\n";
    const r = await run(["serve", out, "--stdio"], lines);
    expect(r.code, r.stderr).toBe(0);
    const answers = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(answers).toHaveLength(4);
    expect(answers[0]).toMatchObject({ id: 1, message: { role: "assistant" } });
    expect(typeof answers[0].message.content).toBe("string");
    expect(answers[1]).toMatchObject({ id: 2 });
    expect(JSON.stringify(answers[1])).toMatch(/messages\[0\]\.role must be one of user, assistant, tool, system/);
    expect(answers[2].error).toBeDefined();
    expect(answers[3]).toMatchObject({ id: 3, message: { role: "assistant" } });
  }, 120_000);

  it("POST /v1/chat/completions: OpenAI's chat shape behind the token; greedy is repeatable; a bad field is a 400 naming it", async () => {
    const model = loadGpt2(out);
    const app = await createServer({ host: "127.0.0.1", token: TOKEN, limits: { ratePerMinute: 0 } });
    registerChatRoute(app, { model, tokenizer: loadGpt2Tokenizer(), chat: ORDER_DESK_CHAT, name: "agent", defaults: { maxNewTokens: 8, temperature: 0 }, rng: createRng(0), queue: createWorkQueue({ maxPending: 4, name: "chat" }), created: 1_700_000_000 });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const body = { model: "agent", messages: [{ role: "user", content: "Has order 4471 shipped yet?" }] };
      expect((await call(url, "/v1/chat/completions", { body, token: null })).status).toBe(401);
      const a = await call(url, "/v1/chat/completions", { body });
      expect(a.status, a.text).toBe(200);
      expect(a.json()).toMatchObject({ object: "chat.completion", model: "agent", choices: [{ index: 0, message: { role: "assistant" } }] });
      expect(["stop", "length"]).toContain(a.json().choices[0].finish_reason);
      expect(a.json().usage.total_tokens).toBe(a.json().usage.prompt_tokens + a.json().usage.completion_tokens);
      const b = await call(url, "/v1/chat/completions", { body });
      expect(b.json().choices[0].message).toEqual(a.json().choices[0].message);
      const bad = await call(url, "/v1/chat/completions", { body: { messages: [{ role: "user", content: 7 }] } });
      expect(bad.status).toBe(400);
      expect(bad.json().error.message).toMatch(/messages\[0\]\.content must be a string/);
      const other = await call(url, "/v1/chat/completions", { body: { ...body, model: "gpt-4" } });
      expect(other.status).toBe(400);
      expect(other.json().error.message).toMatch(/model must be "agent"/);
    } finally {
      await app.close();
      model.dispose();
    }
  }, 60_000);
});

describe("OrderDesk pretraining's --force", () => {
  it("refuses a directory tsrl did not write, before training, and deletes nothing in it", async () => {
    const theirs = path.join(tmp, "someone-elses-model");
    fs.mkdirSync(theirs);
    fs.writeFileSync(path.join(theirs, "model.safetensors"), "their weights");
    fs.writeFileSync(path.join(theirs, "config.json"), "{}");
    const r = await runProcess(process.execPath, [tsrl, "run", "lib/cli/order-desk-pretrain.ts", "--out", theirs, "--force", "--steps", "1"], { cwd: root, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/someone-elses-model/);
    expect(fs.readFileSync(path.join(theirs, "model.safetensors"), "utf8")).toBe("their weights");
    expect(fs.readdirSync(theirs).sort()).toEqual(["config.json", "model.safetensors"]);
  });
});
