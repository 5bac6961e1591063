/**
 * The command line on a two-player game: training actor-critic and GRPO on Tic-Tac-Toe, evaluating
 * a checkpoint against opponents and exhaustively, and serving its actions over JSON lines.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-ttt-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [tsrl, ...args], { cwd: root, encoding: "utf8", timeout: 120_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tsrl on TicTacToe-v0", () => {
  const ac = path.join(tmp, "ac");

  it("trains actor-critic and grpo with their own flags", () => {
    let r = run(["train", "actor-critic", "TicTacToe-v0", "--seed", "2", "--total-timesteps", "2048", "--num-envs", "8", "--eval-every", "4", "--eval-games", "20", "--out", ac, "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ algorithm: "actor-critic", env: "TicTacToe-v0", envSteps: 2048, stopped: "done" });
    const grpo = path.join(tmp, "grpo");
    r = run(["train", "grpo", "TicTacToe-v0", "--num-generations", "8", "--top-m", "2", "--episodes", "32", "--eval-every", "2", "--eval-games", "10", "--out", grpo, "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ algorithm: "grpo", episodes: 32 });
    const config = JSON.parse(fs.readFileSync(path.join(grpo, "config.json"), "utf8"));
    expect(config.hyperparameters).toMatchObject({ numGenerations: 8, topM: 2, envOptions: { opponent: { random: 2, greedy: 1, minimax: 1 } } });
    r = run(["train", "grpo", "TicTacToe-v0", "--num-generations", "8", "--top-m", "8"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/topM = 8, expected fewer than numGenerations \(8\)/);
    r = run(["train", "grpo", "TicTacToe-v0", "--env-options", "{oops"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/envOptions = .*expected a JSON object/);
  });

  it("eval: win/draw/loss against each opponent as X and as O, and the exhaustive count", () => {
    const r = run(["eval", ac, "--episodes", "50", "--opponents", "random,minimax", "--exhaustive", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.matches.map((m: { opponent: string; side: string }) => `${m.opponent}/${m.side}`)).toEqual(["random/X", "random/O", "minimax/X", "minimax/O"]);
    for (const m of s.matches) {
      expect(m.wins + m.draws + m.losses).toBe(50);
      expect(m.winRate).toBeCloseTo(m.wins / 50, 4);
    }
    expect(s.matches[2].wins).toBe(0); // nobody beats minimax
    expect(s.exhaustive.map((e: { side: string }) => e.side)).toEqual(["X", "O"]);
    for (const e of s.exhaustive) expect(e.wins + e.draws + e.losses).toBe(e.games);
    // a barely trained agent loses somewhere: the exhaustive check finds it
    expect(s.exhaustive[0].losses + s.exhaustive[1].losses).toBeGreaterThan(0);
    const bad = run(["eval", ac, "--opponents", "perfect"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown opponent "perfect"; TicTacToe-v0 has random, greedy, minimax/);
  });

  it("serve --stdio answers each JSON line, names a malformed one and goes on", () => {
    const input = [
      '{"obs": [0,0,0,0,0,0,0,0,0], "id": "a"}',
      '{"obs": [1,0,0,0,-1,0,0,0,0], "mask": [0,1,1,1,0,1,1,1,1]}',
      "not json",
      '{"obs": [1, 2]}',
      '{"obs": [0,0,0,0,0,0,0,0,0], "mask": [0,0,0,0,0,0,0,0,0]}',
      '{"obs": [0,0,0,0,0,0,0,0,0], "greedy": false}',
    ].join("\n") + "\n";
    const r = run(["serve", ac, "--stdio"], input);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(out).toHaveLength(6);
    expect(out[0].id).toBe("a");
    expect(out[0].probs).toHaveLength(9);
    expect(out[0].probs.reduce((a: number, b: number) => a + b)).toBeCloseTo(1, 4);
    expect(out[0].action).toBe(out[0].probs.indexOf(Math.max(...out[0].probs))); // greedy by default
    expect([0, 4]).not.toContain(out[1].action); // only legal cells
    expect(out[1].probs[0]).toBe(0);
    expect(out[2].error).toMatch(/^line 3: not JSON/);
    expect(out[3].error).toBe("line 4: obs must be an array of 9 finite numbers, got [1,2]");
    expect(out[4].error).toBe("line 5: mask allows no action");
    expect(out[5].action).toBeGreaterThanOrEqual(0);
    expect(run(["serve", ac]).code).toBe(2); // only --stdio so far
  });
});
