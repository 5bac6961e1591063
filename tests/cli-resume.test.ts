/**
 * A run killed with SIGKILL keeps its last periodic checkpoint (--save-every), and `tsrl train
 * --resume DIR` finishes it with the uninterrupted run's numbers — metrics and weights — for
 * REINFORCE on CartPole, through the real `tsrl` in subprocesses (cwd a temporary folder).
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
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-cli-resume-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Starts `tsrl train …` and sends `sig` as soon as `when()` holds. */
function trainUntil(args: string[], sig: NodeJS.Signals, when: () => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsrl, "train", ...args], { cwd: tmp });
    let stderr = "", sent = false;
    const poll = setInterval(() => {
      if (!sent && when()) {
        sent = true;
        child.kill(sig);
      }
    }, 20);
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr });
    });
  });
}

describe("--save-every and --resume", () => {
  it("SIGKILL loses at most --save-every; --resume finishes with the uninterrupted run's numbers", async () => {
    const run = ["reinforce", "CartPole-v1", "--seed", "5", "--episodes", "400", "--target-return", "0", "--eval-threshold", "0", "--hidden-sizes", "32", "--quiet", "--json"];
    const whole = path.join(tmp, "whole"), killed = path.join(tmp, "killed");
    const [a, b] = await Promise.all([
      runProcess(process.execPath, [tsrl, "train", ...run, "--out", whole], { cwd: tmp, timeout: 120_000 }),
      trainUntil([...run, "--out", killed, "--save-every", "3"], "SIGKILL", () => fs.existsSync(path.join(killed, "train_state.json"))),
    ]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.signal).toBe("SIGKILL");
    const kept = JSON.parse(fs.readFileSync(path.join(killed, "config.json"), "utf8"));
    expect(kept.resume).toEqual({ exact: true });
    const keptRows = readCsv(path.join(killed, "metrics.csv")).length;
    expect(keptRows % 3).toBe(0); // a periodic checkpoint, every 3 updates
    expect(keptRows).toBeLessThan(50);
    const c = await runProcess(process.execPath, [tsrl, "train", "reinforce", "CartPole-v1", "--resume", killed, "--quiet", "--json"], { cwd: tmp, timeout: 120_000 });
    expect(c.status, c.stderr).toBe(0);
    expect(c.stderr).toMatch(new RegExp(`resuming .*killed after ${keptRows} updates`));
    expect(JSON.parse(c.stdout)).toMatchObject({ stopped: "done", updates: 50, episodes: 400 });
    const clock = new Set(["wallTime", "sps"]);
    const rows = (dir: string) => readCsv(path.join(dir, "metrics.csv")).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !clock.has(k))));
    expect(rows(killed)).toEqual(rows(whole));
    expect(fs.readFileSync(path.join(killed, "model.safetensors")).equals(fs.readFileSync(path.join(whole, "model.safetensors")))).toBe(true);
  });

});
