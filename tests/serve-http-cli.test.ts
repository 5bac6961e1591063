/**
 * `tsrl serve DIR --port N` as a process: it refuses a non-loopback host without a token (exit 2,
 * saying why) and mixed transport flags (exit 2); with no token it makes one, shows it once on stderr
 * (never on stdout) and says where it listens in one JSON line on stdout; --token-file works; SIGTERM
 * with a request in flight answers that request, refuses new ones, and exits 0; Ctrl-C exits 130.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runProcess } from "./run-process";
import { useServeFixtures } from "./serve-fixtures";
import { call, TOKEN } from "./serve-http-harness";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const fixtures = useServeFixtures("http-cli");

/** The environment without TSRL_SERVE_TOKEN, plus `extra`. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e = { ...process.env, ...extra };
  if (!("TSRL_SERVE_TOKEN" in extra)) delete e.TSRL_SERVE_TOKEN;
  return e;
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `tsrl serve …` and resolves once it prints where it listens (its JSON line on stdout). */
function startCli(args: string[], extraEnv: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [tsrl, "serve", ...args], { cwd: fixtures.dir, env: env(extraEnv) });
  let stdout = "", stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  void exit.then(() => clearTimeout(killer));
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (stdout.includes("\n")) {
        clearInterval(poll);
        resolve({ child, url: JSON.parse(stdout.split("\n")[0]).url, stdout: () => stdout, stderr: () => stderr, exit });
      }
    }, 50);
    void exit.then(({ code }) => { clearInterval(poll); reject(new Error(`tsrl serve exited (${code}) before listening: ${stderr}`)); });
  });
}

describe("tsrl serve --port", () => {
  it("refuses a non-loopback host without a token, and mixed or missing transports (exit 2, saying why)", async () => {
    const run = (args: string[]) => runProcess(process.execPath, [tsrl, "serve", ...args], { cwd: fixtures.dir, env: env(), timeout: 60_000 });
    const open = await run([fixtures.fx.gpt2, "--port", "0", "--host", "0.0.0.0"]);
    expect(open.status).toBe(2);
    expect(open.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a token: anyone who can reach it could use the model\. Give --token-file FILE or set TSRL_SERVE_TOKEN/);
    expect(open.stdout).toBe("");
    const both = await run([fixtures.fx.ticTacToe, "--stdio", "--port", "0"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/give one of --stdio and --port, not both/);
    const stdioFlag = await run([fixtures.fx.gpt2, "--port", "0", "--temperature", "0.5"]);
    expect(stdioFlag.status).toBe(2);
    expect(stdioFlag.stderr).toMatch(/--temperature only apply with --stdio/);
    const badPort = await run([fixtures.fx.ticTacToe, "--port", "70000"]);
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toMatch(/--port 70000: expected a port number/);
  });

  it("with no token, makes one and shows it once on stderr only; the JSON line on stdout says where", async () => {
    const s = await startCli([fixtures.fx.ticTacToe, "--port", "0"]);
    try {
      const token = s.stderr().match(/this run's token, shown once: (\S+)/)?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(s.stderr().split(token!).length).toBe(2); // once
      expect(JSON.parse(s.stdout().trim())).toEqual({ url: s.url, routes: ["GET /healthz", "POST /v1/act"] });
      expect(new URL(s.url).hostname).toBe("127.0.0.1");
      expect((await call(s.url, "/v1/act", { token: null, body: { obs: [0, 0, 0, 0, 0, 0, 0, 0, 0] } })).status).toBe(401);
      expect((await call(s.url, "/v1/act", { token, body: { obs: [0, 0, 0, 0, 0, 0, 0, 0, 0] } })).status).toBe(200);
      s.child.kill("SIGINT");
      expect(await s.exit).toEqual({ code: 130, signal: null }); // Ctrl-C: stopped gracefully, exit 130
      expect(s.stdout()).not.toContain(token);
      expect(s.stderr().split(token!).length).toBe(2);
    } finally {
      s.child.kill("SIGKILL");
    }
  });

  it("SIGTERM with a request in flight: that request is answered, new ones are not taken, exit 0", async () => {
    const file = path.join(fixtures.dir, "token.txt");
    fs.writeFileSync(file, `${TOKEN}\n`);
    // the batch window holds the request for 2 s: SIGTERM arrives while it waits
    const s = await startCli([fixtures.fx.gpt2, "--port", "0", "--token-file", file, "--batch-window-ms", "2000", "--model-name", "tiny"]);
    try {
      expect(s.stderr()).toMatch(/token: --token-file/);
      const inFlight = call(s.url, "/v1/completions", { body: { model: "tiny", prompt: "The soup was", max_tokens: 4 } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      s.child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const late = await call(s.url, "/v1/models").then((r) => r.status, (err: Error) => (err.cause as { code?: string })?.code ?? err.message);
      expect([503, "ECONNREFUSED"]).toContain(late); // a new connection is refused once the listener closes
      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(answered.json().choices[0]).toMatchObject({ index: 0, finish_reason: "length" });
      expect(await s.exit).toEqual({ code: 0, signal: null });
      expect(s.stderr()).toMatch(/SIGTERM: finishing the requests in flight/);
      expect(s.stderr()).toMatch(/stopped\n$/);
      expect(s.stderr()).not.toContain(TOKEN);
    } finally {
      s.child.kill("SIGKILL");
    }
  });
});
