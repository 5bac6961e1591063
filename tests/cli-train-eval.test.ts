import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [tsrl, ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tsrl train → eval round trip", () => {
  const dir = path.join(tmp, "run");

  it("trains on a tiny budget, writes a checkpoint, prints one JSON line", () => {
    const r = run("train", "reinforce", "CartPole-v1", "--seed", "1", "--episodes", "16", "--out", dir, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]);
    expect(summary).toMatchObject({ algorithm: "reinforce", env: "CartPole-v1", seed: 1, episodes: 16, stopped: "done" });
    expect(summary.envSteps).toBeGreaterThan(16);
    for (const f of ["config.json", "model.safetensors", "metrics.csv"]) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"))).toMatchObject({ algorithm: "reinforce", env: "CartPole-v1" });
  });

  it("evaluates the checkpoint", () => {
    const r = run("eval", dir, "--episodes", "5", "--seed", "3", "--json");
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.trim());
    expect(s).toMatchObject({ episodes: 5, seed: 3, greedy: true });
    expect(s.mean).toBeGreaterThan(0);
  });

  it("a checkpoint with wrong shapes fails with the tensor named, non-zero exit", () => {
    const bad = path.join(tmp, "bad-shapes");
    fs.cpSync(dir, bad, { recursive: true });
    const cfgFile = path.join(bad, "config.json");
    const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
    cfg.hyperparameters.hiddenSizes = [32, 64];
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    const r = run("eval", bad, "--episodes", "2");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tensor 'policy\/l0\/w' has shape \[4,64\], expected \[4,32\]/);
  });

  it("unknown algorithm, corrupt weights and a missing directory are named", () => {
    const unknown = path.join(tmp, "unknown-algo");
    fs.cpSync(dir, unknown, { recursive: true });
    const cfgFile = path.join(unknown, "config.json");
    fs.writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(cfgFile, "utf8")), algorithm: "dqn" }));
    let r = run("eval", unknown);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/algorithm is "dqn", expected one of "reinforce"/);

    const corrupt = path.join(tmp, "corrupt");
    fs.cpSync(dir, corrupt, { recursive: true });
    fs.writeFileSync(path.join(corrupt, "model.safetensors"), "not a safetensors file");
    r = run("eval", corrupt);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model\.safetensors is corrupt/);

    r = run("eval", path.join(tmp, "nope"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not exist/);
  });

  it("the largest seed trains: per-copy and evaluation seeds wrap to 32 bits", () => {
    const out = path.join(tmp, "max-seed");
    const r = run("train", "reinforce", "CartPole-v1", "--seed", "4294967295", "--episodes", "16", "--out", out, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ seed: 4294967295, episodes: 16, stopped: "done" });
    expect(fs.existsSync(path.join(out, "model.safetensors"))).toBe(true);
  });

  it("an old flag name still works for a release, with one line saying the new one; --help shows only the new", () => {
    const out = path.join(tmp, "old-flags");
    const r = run("train", "reinforce", "CartPole-v1", "--episodes", "8", "--lr", "0.01", "--entropy-coef", "0.02", "--no-normalize-advantages", "--out", out, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("tsrl train: --lr is now --learning-rate (the old flag works until the next release)");
    expect(r.stderr).toContain("tsrl train: --entropy-coef is now --ent-coef");
    expect(r.stderr).toContain("tsrl train: --normalize-advantages is now --norm-adv");
    const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
    expect(config.hyperparameters).toMatchObject({ learningRate: 0.01, entCoef: 0.02, normAdv: false });
    const help = run("train", "reinforce", "--help").stdout;
    expect(help).toContain("--learning-rate");
    expect(help).not.toMatch(/--lr\b/);
  });

  it("bad flags and values exit 2 with the flag named", () => {
    let r = run("train", "reinforce", "CartPole-v1", "--lrr", "0.1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown flag --lrr \(did you mean --learning-rate/);
    r = run("train", "reinforce", "CartPole-v1", "--episodes", "ten");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--episodes "ten": expected an integer/);
    r = run("train", "ppo2", "CartPole-v1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown algorithm "ppo2"/);
    r = run("train", "reinforce", "CartPole-v1", "--gamma", "1.5");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gamma = 1\.5, expected a number in \[0, 1\]/);
    r = run("train", "reinforce", "CartPole-v1", "--seed", "4294967296");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/seed = 4294967296/);
    r = run("eval", dir, "--episodes", "0");
    expect(r.code).toBe(2);
    r = run("train", "reinforce", "CartPole-v1", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--episodes-per-update <integer>\s+episodes collected/);
    // flag types follow the config schema: integer counts, real-valued targets, choices
    expect(r.stdout).toMatch(/--target-window <integer>/);
    expect(r.stdout).toMatch(/--target-return <number>/);
    expect(r.stdout).toMatch(/--baseline <none\|mean\|value>\s+subtracted from G_t/);
    r = run("train", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Algorithms:\n\s+reinforce <env>\s+REINFORCE[\s\S]*\n\s+grpo GPT2\s+GRPO on a GPT-2/); // GRPO on a language model: the same grammar
  });

  it("Ctrl-C stops training and still writes the checkpoint", async () => {
    const out = path.join(tmp, "interrupted");
    const child = spawn(process.execPath, [tsrl, "train", "reinforce", "CartPole-v1", "--episodes", "1000000", "--target-return", "0", "--out", out, "--json"], { cwd: root });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      if (/\d+\/1000000 \[/.test(stderr) && !child.killed) child.kill("SIGINT"); // training has started
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, stderr).toBe(130);
    expect(JSON.parse(stdout.trim()).stopped).toBe("aborted");
    expect(fs.existsSync(path.join(out, "model.safetensors"))).toBe(true);
  });
});
