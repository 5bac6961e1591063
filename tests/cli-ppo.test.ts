/** `tsrl train ppo` on both of its presets' environments, and `tsrl eval` of the checkpoint. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-ppo-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [tsrl, ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("tsrl train ppo", () => {
  it("LunarLander-v3 with the rl-zoo preset's flags overridden, then eval", () => {
    const out = path.join(tmp, "ll");
    const r = run("train", "ppo", "LunarLander-v3", "--total-timesteps", "2048", "--num-envs", "2", "--num-steps", "512", "--num-minibatches", "16", "--seed", "3", "--eval-episodes", "2", "--out", out, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ algorithm: "ppo", env: "LunarLander-v3", seed: 3, envSteps: 2048, updates: 2 });
    const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
    // the rest of the preset stays: γ 0.999, λ 0.98, SB3's value loss
    expect(config.hyperparameters).toMatchObject({ numEnvs: 2, numSteps: 512, gamma: 0.999, gaeLambda: 0.98, clipVloss: false, engine: "typed" });
    const e = run("eval", out, "--episodes", "3", "--json");
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ algorithm: "ppo", env: "LunarLander-v3", episodes: 3 });
  });

  it("CartPole-v1 with observation normalisation: the checkpoint keeps the statistics its policy needs", () => {
    const out = path.join(tmp, "cp");
    const r = run("train", "ppo", "CartPole-v1", "--total-timesteps", "1024", "--normalize-obs", "--out", out, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const e = run("eval", out, "--episodes", "3", "--json");
    expect(e.code, e.stderr).toBe(0);
    // without the statistics the checkpoint is incomplete, and says which tensor is missing
    const bad = path.join(tmp, "cp-bad");
    fs.cpSync(out, bad, { recursive: true });
    const cfgFile = path.join(bad, "config.json");
    const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
    cfg.hyperparameters.normalizeObs = false;
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    const b = run("eval", bad, "--episodes", "1");
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/unexpected tensor 'obs_norm\/mean'/);
    expect(run("train", "ppo", "CartPole-v1", "--num-minibatches", "3").stderr).toMatch(/numMinibatches = 3, expected a divisor/);
  });
});
