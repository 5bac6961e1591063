/**
 * The playground's API and its guards, without a browser (the page is tests/playground-browser.test.ts):
 * requests addressed to another host name (DNS rebinding) and bodies that are not JSON (a page on
 * another site posting) are refused; bad fields are a 400 naming them; what the present state cannot
 * do is a 409 saying why; one run at a time, and Stop ends it; the move endpoint checks the board;
 * saving never replaces what tsrl did not write; with a token, the page is public and the API is not.
 * And the CLI: a non-loopback --host without a token is refused; SIGTERM stops a run and exits 0.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, GPT2_TINY, saveGpt2, writeGpt2TokenizerFiles } from "../lib/nn/gpt2";
import { createServer } from "../lib/serve/app";
import { mountPlayground } from "../lib/serve/playground/index";
import { call } from "./serve-http-harness";
import { runProcess } from "./run-process";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const TOKEN = "playground-token-0123456789";

async function startPlayground(opts: { token?: string; runsDir: string }) {
  const app = await createServer({ host: "127.0.0.1", token: opts.token, limits: { ratePerMinute: 0 } });
  const playground = mountPlayground(app, { host: "127.0.0.1", runsDir: opts.runsDir, log: () => undefined });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, playground, close: async () => { await app.close(); await playground.close(); } };
}

/** A GET with a Host header of our choosing (fetch does not let a caller set Host). */
function getWithHost(url: string, p: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url + p, { headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}

async function waitForRun(url: string, id: number, timeout = 60_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeout;
  for (;;) {
    const run = (await call(url, `/api/runs/${id}`, { token: null })).json();
    if (!["running", "stopping"].includes(run.status)) return run;
    if (Date.now() > end) throw new Error(`run ${id} still ${run.status} after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the playground's API", () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-playground-api-"));
  let s: Awaited<ReturnType<typeof startPlayground>>;
  beforeAll(async () => { s = await startPlayground({ runsDir }); });
  afterAll(async () => {
    await s?.close();
    fs.rmSync(runsDir, { recursive: true, force: true });
  });
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) => call(s.url, p, { token: null, body, headers });

  it("answers only requests addressed to a loopback name, and only JSON bodies", async () => {
    const evil = await getWithHost(s.url, "/api/state", "attacker.example:80");
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error).toMatchObject({ code: "wrong_host" });
    expect((await getWithHost(s.url, "/api/state", "localhost")).status).toBe(200);
    expect((await getWithHost(s.url, "/", "attacker.example")).status).toBe(403); // the page too
    const form = await call(s.url, "/api/ttt/train", { token: null, raw: "updates=5", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    expect((await call(s.url, "/api/state", { token: null })).json().run).toBeNull(); // nothing started
  });

  it("names the field of a bad body", async () => {
    const cases: [string, unknown, string][] = [
      ["/api/ttt/train", { updates: -1 }, "updates"],
      ["/api/ttt/train", { rewards: { win: "lots" } }, "rewards.win"],
      ["/api/ttt/train", { rewards: { jackpot: 1 } }, "jackpot"],
      ["/api/ttt/train", { groupSize: 8, topM: 8 }, "topM"],
      ["/api/ttt/train", { algorithm: "ppo" }, "algorithm"],
      ["/api/ttt/move", { board: [2, 0, 0, 0, 0, 0, 0, 0, 0], you: "X" }, "board"],
      ["/api/ttt/move", { board: [1, 1, 0, 0, 0, 0, 0, 0, 0], you: "X" }, "board"], // two X, no O
      ["/api/lm/sample", { prompt: "hi", model: "/etc" }, "model"],
      ["/api/lm/sample", { prompt: "hi", reward: "rm:/etc" }, "reward"],
      ["/api/lm/sample", { prompt: "hi", reward: "rules:vibes" }, "reward"],
      ["/api/checkpoints/save", { tab: "ttt", name: "../escape" }, "name"],
      ["/api/edit/train", { warmStartSteps: 0 }, "warmStartSteps"], // an untrained edit agent's first update needs > 4 GB
    ];
    for (const [route, body, param] of cases) {
      const r = await post(route, body);
      expect(r.status, `${route} ${JSON.stringify(body)}: ${r.text}`).toBe(400);
      expect(r.json().error.param, `${route} ${JSON.stringify(body)}: ${r.text}`).toBe(param);
    }
  });

  it("says what to do when there is no agent yet", async () => {
    for (const [route, body] of [["/api/ttt/move", { board: Array(9).fill(0), you: "O" }], ["/api/edit/custom", { instruction: "x", text: "y" }], ["/api/ttt/evaluate", {}], ["/api/checkpoints/save", { tab: "ttt", name: "a" }]] as const) {
      const r = await post(route, body);
      expect(r.status, route).toBe(409);
      expect(r.json().error.message, route).toMatch(/no (Tic-Tac-Toe|edit) agent yet/);
    }
  });

  it("runs one job at a time; Stop ends it and keeps the agent; the board is checked", async () => {
    const started = await post("/api/ttt/train", { updates: 5000, evalEvery: 1000 });
    expect(started.status).toBe(202);
    const id = started.json().id;
    const busy = await post("/api/ttt/train", { updates: 5 });
    expect(busy.status).toBe(409);
    expect(busy.json().error.message).toMatch(new RegExp(`run ${id} \\(Tic-Tac-Toe training\\) is running`));
    expect((await post("/api/edit/train", {})).status).toBe(409); // any job, from any tab

    // wait for the first snapshot (the agent is playable while it trains), then stop
    for (let k = 0; k < 200 && (await call(s.url, "/api/state", { token: null })).json().agents.ttt === null; k++) await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const stop = await post(`/api/runs/${id}/stop`, {});
    expect(stop.json().status).toBe("stopping");
    const ended = await waitForRun(s.url, id);
    const ms = performance.now() - t0;
    console.log(`playground-api.test: Stop → run stopped in ${ms.toFixed(0)} ms`);
    expect(ended.status).toBe("stopped");
    expect(ms).toBeLessThan(1500);

    const move = await post("/api/ttt/move", { board: [1, 0, 0, 0, 0, 0, 0, 0, 0], you: "X" });
    expect(move.status).toBe(200);
    const m = move.json();
    expect(m.board.filter((c: number) => c === -1)).toHaveLength(1);
    expect(m.probs).toHaveLength(9);
    expect(m.probs[0]).toBe(0); // an occupied cell has no probability
    expect(m.probs.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 2);
    const notAgentsTurn = await post("/api/ttt/move", { board: [1, 0, 0, 0, 0, 0, 0, 0, 0], you: "O" }); // O to move: the person's turn
    expect(notAgentsTurn.status).toBe(400);
    expect(notAgentsTurn.json().error.message).toMatch(/it is O's move \(yours\)/);
    const over = await post("/api/ttt/move", { board: [1, 1, 1, -1, -1, 0, 0, 0, 0], you: "X" });
    expect(over.json()).toMatchObject({ move: null, outcome: "X", line: [0, 1, 2] });
  }, 120_000);

  it("saves in the CLI's format and never replaces what tsrl did not write", async () => {
    const foreign = path.join(runsDir, "my-notes");
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, "notes.txt"), "mine");
    const refused = await post("/api/checkpoints/save", { tab: "ttt", name: "my-notes", overwrite: true });
    expect(refused.status).toBe(409);
    expect(refused.json().error.message).toMatch(/my-notes in the runs folder is a non-empty directory tsrl did not write \(it holds 'notes.txt'/);
    expect(fs.readdirSync(foreign)).toEqual(["notes.txt"]);

    expect((await post("/api/checkpoints/save", { tab: "ttt", name: "agent-1" })).status).toBe(200);
    expect(fs.readdirSync(path.join(runsDir, "agent-1")).sort()).toEqual(["config.json", "metrics.csv", "model.safetensors", "tsrl-checkpoint.json"]);
    const again = await post("/api/checkpoints/save", { tab: "ttt", name: "agent-1" });
    expect(again.status).toBe(409);
    expect((await post("/api/checkpoints/save", { tab: "ttt", name: "agent-1", overwrite: true })).status).toBe(200);
    const listed = (await call(s.url, "/api/checkpoints?tab=ttt", { token: null })).json().checkpoints.map((c: { name: string }) => c.name);
    expect(listed).toEqual(["agent-1"]);
    const wrongTab = await post("/api/checkpoints/load", { tab: "edit", name: "agent-1" });
    const run = await waitForRun(s.url, wrongTab.json().id);
    expect(run).toMatchObject({ status: "failed" });
    expect(String(run.error)).toMatch(/holds a TicTacToe-v0 agent; this tab needs a EditAgent-v0 checkpoint/);
  }, 60_000);
});

describe("the playground's GPT-2 tab", () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-playground-lm-"));
  let s: Awaited<ReturnType<typeof startPlayground>>;
  beforeAll(async () => {
    await initBackend({ quiet: true });
    const model = createGpt2(GPT2_TINY, createRng(3));
    saveGpt2(model, path.join(runsDir, "my-gpt2"));
    writeGpt2TokenizerFiles(path.join(runsDir, "my-gpt2"));
    model.dispose();
    s = await startPlayground({ runsDir });
  });
  afterAll(async () => {
    await s?.close();
    fs.rmSync(runsDir, { recursive: true, force: true });
  });

  it("lists the GPT-2 directories of the runs folder and samples one, with the reward by part", async () => {
    const models = (await call(s.url, "/api/lm/models", { token: null })).json().models.map((m: { key: string }) => m.key);
    const dir = path.join(runsDir, "my-gpt2");
    expect(models).toEqual(["tiny", dir]);
    const started = await call(s.url, "/api/lm/sample", { token: null, body: { model: dir, prompt: "The soup was", n: 3, maxTokens: 5, seed: 7, reward: "rules:sentiment=1,length=0.5:4/words,keyword=2:soup" } });
    expect(started.status, started.text).toBe(202);
    const run = await waitForRun(s.url, started.json().id);
    expect(run.status, String(run.error)).toBe("done");
    const result = run.result as { columns: { name: string; weight: number }[]; completions: { text: string; total: number; parts: number[] }[] };
    expect(result.columns).toEqual([{ name: "sentiment", weight: 1 }, { name: "length", weight: 0.5 }, { name: "keyword", weight: 2 }]);
    expect(result.completions).toHaveLength(3);
    for (const c of result.completions) {
      expect(c.parts).toHaveLength(3);
      expect(c.total).toBeCloseTo(c.parts[0] + 0.5 * c.parts[1] + 2 * c.parts[2], 9); // the total is the weighted sum of the parts shown
    }
  }, 120_000);
});

describe("the playground with a token", () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-playground-token-"));
  let s: Awaited<ReturnType<typeof startPlayground>>;
  beforeAll(async () => { s = await startPlayground({ runsDir, token: TOKEN }); });
  afterAll(async () => {
    await s?.close();
    fs.rmSync(runsDir, { recursive: true, force: true });
  });

  it("serves the page and its scripts to anyone, the API only with the token", async () => {
    for (const p of ["/", "/app/main.js", "/app/style.css", "/vendor/vega-embed.min.js"]) expect((await call(s.url, p, { token: null })).status, p).toBe(200);
    expect((await call(s.url, "/app/nothing.js", { token: null })).status).toBe(404);
    const without = await call(s.url, "/api/state", { token: null });
    expect(without.status).toBe(401);
    expect(without.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await call(s.url, "/api/state", { token: "wrong-token-0123456789" })).status).toBe(401);
    expect((await call(s.url, "/api/state", { token: TOKEN })).status).toBe(200);
  });
});

describe("tsrl playground (the command)", () => {
  it("refuses a non-loopback --host without a token (exit 2)", async () => {
    const r = await runProcess(process.execPath, [tsrl, "playground", "--host", "0.0.0.0", "--port", "0", "--no-open"], { cwd: root, env: { ...process.env, TSRL_SERVE_TOKEN: "" }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a token/);
  }, 70_000);

  it("prints where it listens, serves the page, and on SIGTERM stops its run and exits 0", async () => {
    const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-playground-cli-"));
    const child = spawn(process.execPath, [tsrl, "playground", "--port", "0", "--no-open", "--runs", runsDir], { cwd: root, env: { ...process.env, TSRL_SERVE_TOKEN: "" } });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      for (let k = 0; k < 600 && !stdout.includes("\n"); k++) await new Promise((r) => setTimeout(r, 100));
      const { url } = JSON.parse(stdout.split("\n")[0]);
      expect((await call(url, "/", { token: null })).text).toMatch(/tsrl playground/);
      expect((await call(url, "/api/ttt/train", { token: null, body: { updates: 5000 } })).status).toBe(202);
      await new Promise((r) => setTimeout(r, 1000));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/SIGTERM: finishing the requests in flight/);
      expect(stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    } finally {
      child.kill("SIGKILL");
      fs.rmSync(runsDir, { recursive: true, force: true });
    }
  }, 90_000);
});
