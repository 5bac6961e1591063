import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import {
  CheckpointError, checkpointConfig, createMetricsLog, loadCheckpoint, saveCheckpoint, writeSafetensors,
  type CheckpointTensor,
} from "../lib/data";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-ckpt-"));

function weights(scale = 1): Record<string, CheckpointTensor> {
  const t = (shape: number[], k: number) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i * k + 0.25) * scale) });
  return { "policy/dense0/kernel": t([4, 64], 0.01), "policy/dense0/bias": t([64], 0.1), "policy/out/kernel": t([64, 2], -0.02) };
}
const shapes = { "policy/dense0/kernel": [4, 64], "policy/dense0/bias": [64], "policy/out/kernel": [64, 2] };

function loadError(dir: string, opts?: Parameters<typeof loadCheckpoint>[1]): CheckpointError {
  try {
    loadCheckpoint(dir, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    return err as CheckpointError;
  }
  throw new Error("loadCheckpoint did not throw");
}

describe("checkpoints", () => {
  test("round trip: config, tensors, metrics, metadata", () => {
    const dir = path.join(tmp(), "run");
    const log = createMetricsLog();
    for (let e = 0; e < 10; e++) log.push({ episode: e, return: e * 2, ...(e % 3 ? {} : { loss: 1 / (e + 1) }) });
    const config = checkpointConfig({ algorithm: "reinforce", env: "CartPole-v1", hyperparameters: { lr: 0.01, gamma: 0.99 }, metrics: log.rows });
    expect(saveCheckpoint(dir, { config, tensors: weights(), metrics: log })).toBe(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(["config.json", "metrics.csv", "model.safetensors", "tsrl-checkpoint.json"]);

    const ck = loadCheckpoint(dir, { expect: shapes });
    expect(ck.config).toEqual(JSON.parse(JSON.stringify(config)));
    expect(ck.config).toMatchObject({ algorithm: "reinforce", versions: { tsrl: "0.1.0" } });
    expect((ck.config.metricsSummary as Record<string, { lastMean: number }>).return.lastMean).toBe(9);
    expect(Date.parse(ck.config.createdAt as string)).not.toBeNaN();
    for (const [name, t] of Object.entries(weights())) {
      expect(ck.tensors[name].shape).toEqual(t.shape);
      expect(ck.tensors[name].data).toBeInstanceOf(Float32Array);
      expect(Array.from(ck.tensors[name].data)).toEqual(Array.from(t.data));
    }
    expect(ck.metrics).toEqual(log.rows);
    expect(ck.metadata.format).toBe("tsrl");
  });

  test("expect: wrong shape, missing and unexpected tensors are all named", () => {
    const dir = path.join(tmp(), "run");
    const tensors = weights();
    tensors["policy/dense0/kernel"] = { data: new Float32Array(4 * 32), shape: [4, 32] };
    delete (tensors as Record<string, unknown>)["policy/out/kernel"];
    tensors["value/out/kernel"] = { data: new Float32Array(64), shape: [64, 1] };
    saveCheckpoint(dir, { config: { algorithm: "x" }, tensors });
    const err = loadError(dir, { expect: shapes });
    expect(err.problems).toEqual([
      "tensor 'policy/dense0/kernel' has shape [4,32], expected [4,64]",
      "missing tensor 'policy/out/kernel' (expected shape [64,2])",
      "unexpected tensor 'value/out/kernel' (shape [64,1])",
    ]);
    expect(err.message).toContain(dir);
    expect(() => loadCheckpoint(dir)).not.toThrow(); // without `expect`, any names load
  });

  test("missing directory and files, corrupt JSON, corrupt safetensors", () => {
    const root = tmp();
    expect(loadError(path.join(root, "nope")).message).toMatch(/nope: directory does not exist$/);

    const dir = path.join(root, "run");
    saveCheckpoint(dir, { config: { a: 1 }, tensors: weights() });
    fs.writeFileSync(path.join(dir, "config.json"), '{"a": 1,');
    expect(loadError(dir).message).toMatch(/config\.json is not valid JSON/);
    fs.writeFileSync(path.join(dir, "config.json"), "[1]");
    expect(loadError(dir).message).toMatch(/config\.json must hold a JSON object, got an array/);
    fs.rmSync(path.join(dir, "config.json"));
    expect(loadError(dir).message).toMatch(/missing config\.json/);

    saveCheckpoint(dir, { config: { a: 1 }, tensors: weights() });
    const model = path.join(dir, "model.safetensors");
    const bytes = fs.readFileSync(model);
    fs.writeFileSync(model, bytes.subarray(0, bytes.length - 10));
    expect(loadError(dir).message).toMatch(/model\.safetensors is corrupt: tensor '.*': data_offsets .* out of range/);
    const flipped = Buffer.from(bytes);
    flipped[8] = 0x20 + 1; // "!" instead of "{"
    fs.writeFileSync(model, flipped);
    expect(loadError(dir).message).toMatch(/model\.safetensors is corrupt: invalid JSON header/);
    fs.rmSync(model);
    expect(loadError(dir).message).toMatch(/missing model\.safetensors/);

    writeSafetensors(model, { steps: { data: Int32Array.from([1]), shape: [1] } });
    expect(loadError(dir).message).toMatch(/tensor 'steps' has dtype I32; checkpoint tensors must be floating point/);
  });

  test("saving rejects non-Float32 tensors and bad configs before touching disk", () => {
    const dir = path.join(tmp(), "run");
    expect(() => saveCheckpoint(dir, { config: { a: 1 }, tensors: { w: { data: [1, 2] as never, shape: [2] } } })).toThrow(/tensor 'w' must be a Float32Array, got Array/);
    expect(() => saveCheckpoint(dir, { config: [] as never, tensors: {} })).toThrow(CheckpointError);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test("a save that fails midway leaves the old checkpoint intact and no debris", () => {
    const root = tmp();
    const dir = path.join(root, "run");
    saveCheckpoint(dir, { config: { version: 1 }, tensors: weights(1), metrics: [{ episode: 1, return: 1 }] });

    // config serialisation blows up after model.safetensors has been written to the staging dir
    const exploding = { version: 2, toJSON() { throw new Error("disk full (simulated)"); } };
    expect(() => saveCheckpoint(dir, { config: exploding, tensors: weights(2) })).toThrow(/disk full/);
    // a tensor whose length does not match its shape fails inside the staging step too
    expect(() => saveCheckpoint(dir, { config: { version: 3 }, tensors: { w: { data: new Float32Array(3), shape: [2, 2] } } })).toThrow(/has 3 values but shape \[2,2\] needs 4/);

    const ck = loadCheckpoint(dir, { expect: shapes });
    expect(ck.config).toEqual({ version: 1 });
    expect(ck.tensors["policy/dense0/bias"].data[1]).toBeCloseTo(weights(1)["policy/dense0/bias"].data[1], 6);
    expect(ck.metrics).toEqual([{ episode: 1, return: 1 }]);
    expect(fs.readdirSync(root)).toEqual(["run"]);
  });

  test("overwriting replaces the directory completely (no stale metrics.csv)", () => {
    const root = tmp();
    const dir = path.join(root, "run");
    saveCheckpoint(dir, { config: { version: 1 }, tensors: weights(1), metrics: [{ a: 1 }] });
    saveCheckpoint(dir, { config: { version: 2 }, tensors: weights(2) });
    const ck = loadCheckpoint(dir);
    expect(ck.config).toEqual({ version: 2 });
    expect(ck.metrics).toBeUndefined();
    expect(fs.readdirSync(root)).toEqual(["run"]);
  });

  test("a crash between the two renames is recoverable and explained", () => {
    const root = tmp();
    const dir = path.join(root, "run");
    saveCheckpoint(dir, { config: { version: 1 }, tensors: weights(1) });
    fs.renameSync(dir, `${dir}.previous`); // the state right after step 2 of replaceDirAtomic
    expect(loadError(dir).message).toMatch(/interrupted save left the previous checkpoint at .*run\.previous; rename it to .*run to recover/);
    expect(loadCheckpoint(`${dir}.previous`).config).toEqual({ version: 1 });
    saveCheckpoint(dir, { config: { version: 2 }, tensors: weights(2) }); // the next save cleans up
    expect(fs.readdirSync(root)).toEqual(["run"]);
  });
});
