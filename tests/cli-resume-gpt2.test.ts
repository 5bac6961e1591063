/**
 * `tsrl train grpo GPT2` survives SIGKILL: with --save-every 1 its directory always holds the last
 * step's model and training state, and `--resume DIR` finishes the run with the uninterrupted run's
 * numbers — every metrics row and the model's bytes. The real `tsrl` in subprocesses, a fresh tiny
 * GPT-2, a rule reward, three steps.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCsv } from "../lib/data/csv";
import { runProcess } from "./run-process";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-cli-resume-gpt2-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = ["train", "grpo", "GPT2", "--model", "tiny", "--reward", "rules:length=1:6", "--steps", "3", "--prompts-per-step", "1", "--num-generations", "2", "--max-completion-length", "3", "--quiet", "--json"];

/** Runs `run` into `out` and kills it with SIGKILL as soon as its first periodic save is on disk. */
function killedAfterFirstSave(out: string): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsrl, ...run, "--save-every", "1", "--out", out], { cwd: tmp, stdio: "ignore" });
    const poll = setInterval(() => { if (fs.existsSync(path.join(out, "train_state.json"))) child.kill("SIGKILL"); }, 20);
    child.on("exit", (_code, signal) => { clearInterval(poll); resolve(signal); });
  });
}

describe("tsrl train grpo GPT2 --resume", () => {
  it("after SIGKILL, finishes with the uninterrupted run's metrics and weights", async () => {
    const whole = path.join(tmp, "whole"), killed = path.join(tmp, "killed");
    const [a, signal] = await Promise.all([runProcess(process.execPath, [tsrl, ...run, "--out", whole], { cwd: tmp, timeout: 120_000 }), killedAfterFirstSave(killed)]);
    expect(a.status, a.stderr).toBe(0);
    expect(signal).toBe("SIGKILL");
    const kept = readCsv(path.join(killed, "metrics.csv")).length;
    expect(kept).toBeLessThan(3);
    const c = await runProcess(process.execPath, [tsrl, "train", "grpo", "GPT2", "--resume", killed, "--quiet", "--json"], { cwd: tmp, timeout: 120_000 });
    expect(c.status, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ stopped: "done", steps: 3, model: "tiny", reward: "rules:length=1:6" });
    const clock = new Set(["wallTime", "sps", "generateSeconds", "updateSeconds"]);
    const rows = (dir: string) => readCsv(path.join(dir, "metrics.csv")).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !clock.has(k))));
    expect(rows(killed)).toEqual(rows(whole));
    expect(fs.readFileSync(path.join(killed, "model.safetensors")).equals(fs.readFileSync(path.join(whole, "model.safetensors")))).toBe(true);
  });
});
