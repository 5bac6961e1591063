/**
 * The training-health monitor (lib/algos/health.ts) on real runs with injected faults — GRPO over
 * OrderDesk-v0 episodes with a random tiny GPT-2: learning rate × 100 raises the KL alarm (and the
 * same run at the normal rate does not); a constant reward raises the zero-spread alarm; a NaN put
 * into the weights makes the next row non-finite and --stop-on unhealthy stops the run there — and
 * on rows, each warning by its rule.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createGrpoEpisodesTrainer, type GrpoEpisodesConfig } from "../lib/algos/grpo-episodes";
import { createHealthMonitor, formatWarning, watchHealth, type HealthWarning } from "../lib/algos/health";
import { createRng } from "../lib/core/rng";
import { ORDER_DESK_ID } from "../lib/envs/order-desk";
import { initBackend } from "../lib/nn/backend";
import { GPT2_TINY, createGpt2 } from "../lib/nn/gpt2";
import { loadGpt2Tokenizer } from "../lib/nn/gpt2/tokenizer";
import { agentText, type EpisodeRewardPart } from "../lib/envs/conversation/rewards";
import { runProcess } from "./run-process";
import { itSlow } from "./slow";

beforeAll(async () => {
  await initBackend({ quiet: true });
});

const tok = loadGpt2Tokenizer();

async function run(config: Partial<GrpoEpisodesConfig>, o: { rewardParts?: EpisodeRewardPart[]; stop?: boolean; window?: number; klBound?: number; inject?: (update: number, model: ReturnType<typeof createGpt2>) => void } = {}) {
  const model = createGpt2({ ...GPT2_TINY, nLayer: 1, nHead: 2, nEmbd: 32, nPositions: 256 }, createRng(1));
  const trainer = createGrpoEpisodesTrainer({
    model, tokenizer: tok, envId: ORDER_DESK_ID, rewardParts: o.rewardParts,
    config: { maxSteps: 5, promptsPerStep: 2, numGenerations: 4, maxCompletionLength: 8, beta: 0.05, seed: 2, ...config },
  });
  const monitor = createHealthMonitor({ window: o.window ?? 3, klBound: o.klBound });
  const seen: HealthWarning[] = [];
  const opts = watchHealth({ progress: false, onAbort: "return", onUpdate: (row) => o.inject?.(row.update, model) }, monitor, { stopOnUnhealthy: o.stop, onWarning: (w) => seen.push(w) });
  const result = await trainer.train(opts);
  trainer.dispose();
  model.dispose();
  return { result, monitor, seen, rows: trainer.metrics };
}

describe("the health monitor on injected faults", () => {
  itSlow("learning rate × 100 raises klAboveBound; the normal rate does not", async () => {
    // a reward with spread (a random model's OrderDesk episodes all fail alike): the agent's characters
    const rewardParts: EpisodeRewardPart[] = [{ name: "chars", reward: (eps) => eps.map((e) => agentText(e.messages).length / 50) }];
    // five updates of a 1-layer model move it little: the bound is set for that (a real run's is DEFAULT_HEALTH.klBound)
    const klBound = 0.004;
    const normal = await run({ learningRate: 1e-4 }, { rewardParts, klBound });
    expect(normal.seen.filter((w) => w.name === "klAboveBound"), normal.rows.map((r) => r.kl.toExponential(2)).join(" ")).toEqual([]);
    const broken = await run({ learningRate: 1e-2 }, { rewardParts, klBound });
    const kl = broken.seen.find((w) => w.name === "klAboveBound");
    expect(kl, broken.rows.map((r) => r.kl.toFixed(3)).join(" ")).toBeDefined();
    expect(kl!.severity).toBe("unhealthy");
    expect(Math.max(...broken.rows.map((r) => r.kl))).toBeGreaterThan(Math.max(...normal.rows.map((r) => r.kl)) * 20);
  }, 120_000);

  it("a constant reward raises zeroRewardSpread after `window` rows", async () => {
    const r = await run({ maxSteps: 3 }, { rewardParts: [{ name: "constant", reward: (eps) => eps.map(() => 1) }], window: 3 });
    expect(r.rows.every((row) => row.fracZeroStd === 1)).toBe(true);
    const w = r.seen.filter((x) => x.name === "zeroRewardSpread");
    expect(w.map((x) => x.update)).toEqual([3]);
    expect(formatWarning(w[0])).toMatch(/zeroRewardSpread.*update 3: 100% of groups/);
  }, 60_000);

  it("NaN in the weights: the next row is non-finite, and stopOnUnhealthy stops the run there", async () => {
    const poison = (update: number, model: ReturnType<typeof createGpt2>) => {
      if (update === 2) {
        const p = model.params["h.0.mlp.c_fc.weight"];
        p.assign(tf.fill(p.shape, NaN));
      }
    };
    const r = await run({ maxSteps: 5 }, { stop: true, inject: poison });
    const nf = r.seen.find((w) => w.name === "nonFinite");
    expect(nf?.update).toBe(3);
    expect(r.result.stopped).toBe("aborted");
    expect(r.rows).toHaveLength(3);
    expect(r.monitor.status()).toBe("unhealthy");
  }, 60_000);
});

describe("the rules, on rows", () => {
  it("each warning from its own column, for PPO's and GRPO's names alike", () => {
    const m = createHealthMonitor({ window: 2 });
    const names = (row: Record<string, unknown>) => m.observe(row).map((w) => w.name);
    expect(names({ update: 1, approxKl: 0.01, clipFrac: 0.1, entropy: 1, gradNorm: 1, return: 10 })).toEqual([]);
    expect(names({ update: 2, approxKl: 0.012, clipFrac: 0.1, entropy: 1, gradNorm: 1.1, return: 11 })).toEqual([]);
    expect(names({ update: 3, approxKl: 0.011, clipFrac: 0.5, entropy: 0.9, gradNorm: 0.9, return: 11 })).toEqual(["clipFractionHigh"]);
    expect(names({ update: 4, approxKl: 0.3, clipFrac: 0.1, entropy: 0.1, gradNorm: 30, return: 12 })).toEqual(["klJump", "entropyCollapse", "gradNormSpike"]);
    expect(names({ update: 5, approxKl: 0.9, loss: Infinity })).toEqual(["nonFinite", "klAboveBound", "klJump"]);
    expect(m.status()).toBe("unhealthy");
    expect(m.counts()).toMatchObject({ clipFractionHigh: 1, klJump: 2, nonFinite: 1, klAboveBound: 1 });
  });

  it("a behaviour-cloning warm-start row is checked on its cloning loss, not on the NaN of the update it did not make", () => {
    const m = createHealthMonitor();
    const warm = { loss: NaN, gradNorm: NaN, approxKl: NaN, entropy: NaN, return: NaN };
    expect(m.observe({ update: 1, ...warm, warmStartLoss: 2.3 }).map((w) => w.name)).toEqual([]);
    expect(m.observe({ update: 2, ...warm, warmStartLoss: Infinity }).map((w) => [w.name, w.column])).toEqual([["nonFinite", "warmStartLoss"]]);
    expect(m.observe({ update: 3, loss: NaN, warmStartLoss: NaN }).map((w) => [w.name, w.column])).toEqual([["nonFinite", "loss"]]);
  });

  it("reward hacking: training reward up, held-out success flat", () => {
    const m = createHealthMonitor();
    const rows = [0.1, 0.3, 0.6, 0.9].map((reward, i) => ({ update: i + 1, reward, heldoutSuccess: 0.4 }));
    const out = rows.flatMap((r) => m.observe(r)).map((w) => w.name);
    expect(out).toContain("rewardHacking");
    const honest = createHealthMonitor();
    const good = [0.1, 0.3, 0.6, 0.9].map((reward, i) => ({ update: i + 1, reward, heldoutSuccess: 0.4 + 0.1 * i }));
    expect(good.flatMap((r) => honest.observe(r))).toEqual([]);
  });

  it("bad thresholds are named", () => {
    expect(() => createHealthMonitor({ klBound: -1 })).toThrow(/klBound must be a finite number ≥ 0, got -1/);
  });
});

describe("every trainer: tsrl train … --stop-on unhealthy", () => {
  itSlow("PPO on CartPole at lr × 100: clip-fraction warnings on stderr and in --json; a NaN return (no episode ended) is not a fault", async () => {
    const path = await import("node:path");
    const os = await import("node:os");
    const fs = await import("node:fs");
    const root = path.resolve(__dirname, "..");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-health-"));
    const p = await runProcess(process.execPath, [path.join(root, "lib", "cli", "tsrl.cjs"), "train", "ppo", "CartPole-v1", "--lr", "0.025", "--total-steps", "8192", "--no-anneal-lr",
      "--stop-on", "unhealthy", "--out", path.join(out, "ppo"), "--json", "--quiet"], { cwd: root, timeout: 120_000 });
    const r = { code: p.status, stdout: p.stdout, stderr: p.stderr };
    fs.rmSync(out, { recursive: true, force: true });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(summary.stopped).toBe("done");
    expect(summary.health.status).toBe("warned");
    expect(summary.health.warnings.clipFractionHigh).toBeGreaterThan(0);
    expect(summary.health.warnings.nonFinite).toBeUndefined();
    expect(r.stderr).toMatch(/warning \[clipFractionHigh\] update \d+: clipFrac 0\.\d+ > 0\.3/);
  }, 120_000);
});
