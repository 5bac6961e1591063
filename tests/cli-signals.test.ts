/**
 * Runs that survive signals, through the real `tsrl train` in subprocesses (cwd a temporary folder):
 * SIGTERM and SIGHUP stop and save like Ctrl-C (exit 143, 129); a run with thousands of env copies
 * stops on Ctrl-C within seconds; --help says so. (SIGKILL and --resume: cli-resume.test.ts; sizes
 * refused up front: cli-user-errors.test.ts.)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runProcess } from "./run-process";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-cli-signals-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; seconds: number }

/** Starts `tsrl train …`; `when(stderr)` says when to send `sig` (or pass `sendWhen` polling something else). */
function trainUntil(args: string[], sig: NodeJS.Signals, sendWhen: (stderr: string) => boolean): Promise<Exit & { sentAfter: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [tsrl, "train", ...args], { cwd: tmp });
    let stdout = "", stderr = "", sentAt = 0;
    const poll = setInterval(() => {
      if (!sentAt && sendWhen(stderr)) {
        sentAt = performance.now();
        child.kill(sig);
      }
    }, 20);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - sentAt) / 1000, sentAfter: (sentAt - started) / 1000 });
    });
  });
}
const training = (stderr: string) => /\d+\/\d+ \[/.test(stderr); // the progress bar has started

describe("signals", () => {
  it("SIGTERM and SIGHUP stop training, write the checkpoint and exit 143 and 129", async () => {
    const args = (out: string) => ["reinforce", "CartPole-v1", "--episodes", "1000000", "--target-return", "0", "--out", path.join(tmp, out), "--json"];
    const [term, hup] = await Promise.all([trainUntil(args("term"), "SIGTERM", training), trainUntil(args("hup"), "SIGHUP", training)]);
    for (const [r, code, sig, out] of [[term, 143, "SIGTERM", "term"], [hup, 129, "SIGHUP", "hup"]] as const) {
      expect(r.code, r.stderr).toBe(code);
      expect(JSON.parse(r.stdout.trim())).toMatchObject({ stopped: "aborted", signal: sig });
      expect(r.stderr).toContain(`tsrl: ${sig} received — stopping this update and saving`);
      for (const f of ["model.safetensors", "train_state.json"]) expect(fs.existsSync(path.join(tmp, out, f)), f).toBe(true);
    }
    // and the checkpoint evaluates
    const e = await runProcess(process.execPath, [tsrl, "eval", path.join(tmp, "term"), "--episodes", "2", "--json"], { cwd: tmp, timeout: 60_000 });
    expect(e.status, e.stderr).toBe(0);
  });

  it("4,096 env copies: Ctrl-C in the middle of the first update stops within seconds and saves", async () => {
    const out = path.join(tmp, "many");
    let began = 0; // the update is under way a second after training began (it takes minutes)
    const r = await trainUntil(["ppo", "CartPole-v1", "--num-envs", "4096", "--num-minibatches", "64", "--total-timesteps", "100000000", "--out", out, "--json"], "SIGINT",
      (stderr) => /tsrl train: ppo on CartPole-v1/.test(stderr) && (began ||= performance.now()) > 0 && performance.now() - began > 1000);
    expect(r.code, r.stderr).toBe(130);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ stopped: "aborted", signal: "SIGINT", updates: 0 });
    expect(r.seconds, "seconds from Ctrl-C to exit").toBeLessThan(15);
    expect(fs.existsSync(path.join(out, "model.safetensors"))).toBe(true);
  });
});

describe("--help", () => {
  it("--help shows --out, --overwrite, --save-every, --resume and what signals do", async () => {
    const r = await runProcess(process.execPath, [tsrl, "train", "ppo", "--help"], { cwd: tmp, timeout: 60_000 });
    expect(r.status).toBe(0);
    for (const flag of ["--out <string>", "--overwrite", "--save-every <string>", "--resume <string>"]) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/default 5m/);
    expect(r.stdout).toMatch(/SIGTERM and SIGHUP stop training and write the checkpoint \(exit 130, 143, 129\)/);
  });
});
