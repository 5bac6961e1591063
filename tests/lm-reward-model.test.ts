/**
 * The Bradley–Terry reward model: the loss and its gradient against hand-computed values, a few
 * steps on a handful of pairs raise its accuracy, save → load gives identical scores, corrupt or
 * missing files get errors naming them. A small trunk (1 layer, 32 wide, GPT-2's vocabulary) keeps it quick.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itSlow } from "./slow";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, type Gpt2 } from "../lib/nn/gpt2/model";
import { generatePreferencePairs } from "../lib/lm/preferences";
import { bradleyTerryLoss, loadOrTrainRewardModel, loadRewardModel, pairAccuracy, readRewardModelInfo, REWARD_HEAD_FILE, rewardModelFromGpt2, saveRewardModel, trainRewardModel } from "../lib/lm/reward-model";

const SMALL = { nLayer: 1, nHead: 2, nEmbd: 32, nPositions: 48, vocabSize: 50257, dropout: 0 };
let base: Gpt2;

beforeAll(async () => {
  await initBackend({ quiet: true });
  base = createGpt2(SMALL, createRng(3));
});
afterAll(() => base?.dispose());

const softplus = (x: number) => Math.log1p(Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe("Bradley–Terry loss", () => {
  it("is mean softplus(r_rejected − r_chosen), with gradient ∓σ(r_r − r_c)/n", () => {
    const rc = [2, 0, -1], rr = [1, 0, 1];
    const expected = (softplus(-1) + softplus(0) + softplus(2)) / 3;
    expect(expected).toBeCloseTo(1.0444456, 6);
    const f = (a: tf.Tensor, b: tf.Tensor) => bradleyTerryLoss(a as tf.Tensor1D, b as tf.Tensor1D);
    const loss = f(tf.tensor1d(rc), tf.tensor1d(rr));
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 6);
    const [gc, gr] = tf.grads(f)([tf.tensor1d(rc), tf.tensor1d(rr)]);
    const s = rc.map((c, i) => sigmoid(rr[i] - c) / 3); // [σ(−1), σ(0), σ(2)] / 3
    expect(Array.from(gc.dataSync())).toEqual(s.map((v) => expect.closeTo(-v, 6)));
    expect(Array.from(gr.dataSync())).toEqual(s.map((v) => expect.closeTo(v, 6)));
    expect(() => bradleyTerryLoss(tf.tensor1d([1]), tf.tensor1d([1, 2]))).toThrow(/1 chosen rewards but 2 rejected/);
    tf.dispose([loss, gc, gr]);
  });
});

describe("reward model", () => {
  it("scores the last token of <|endoftext|> prompt completion, whatever the padding", async () => {
    const rm = rewardModelFromGpt2(base, createRng(1));
    const ids = rm.encode("The film was", " great.");
    expect(ids[0]).toBe(50256);
    const alone = await rm.score(["The film was"], [" great."]);
    const batched = await rm.score(["The film was", "Honestly, the soup was"], [" great.", " not bad at all, and the bread was fresh."]);
    expect(batched[0]).toBeCloseTo(alone[0], 4); // left padding changes nothing
    expect(base.params["h.0.ln_1.weight"]).not.toBe(rm.trunk.params["h.0.ln_1.weight"]); // the trunk is a copy
    rm.dispose();
  });

  itSlow("a few Bradley–Terry steps on a handful of pairs raise its accuracy on them, without leaking tensors", async () => {
    const pairs = generatePreferencePairs(createRng(11), 8);
    const rm = rewardModelFromGpt2(base, createRng(2));
    const before = await pairAccuracy(rm, pairs);
    const tensors = tf.memory().numTensors;
    const r = await trainRewardModel(rm, { pairs, heldout: pairs, epochs: 25, batchSize: 8, lr: 3e-3, rng: createRng(5) });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(r.history.length).toBe(25);
    expect(r.heldout!.accuracy).toBeGreaterThan(before.accuracy);
    expect(r.heldout!.accuracy).toBeGreaterThanOrEqual(7 / 8);
    expect(r.heldout!.loss).toBeLessThan(before.loss);
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0].loss);
    rm.dispose();
  });

  it("stops on its AbortSignal", async () => {
    const rm = rewardModelFromGpt2(base, createRng(2));
    const controller = new AbortController();
    const r = await trainRewardModel(rm, { pairs: generatePreferencePairs(createRng(1), 8), batchSize: 2, epochs: 10, rng: createRng(1), signal: controller.signal, onProgress: (p) => { if (p.step === 3) controller.abort(); } });
    expect(r.aborted).toBe(true);
    expect(r.history.length).toBe(3);
    rm.dispose();
  });

  it("save → load gives identical scores; missing or corrupt files are named", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-rm-"));
    const rm = rewardModelFromGpt2(base, createRng(4));
    const prompts = ["The film was", "This phone is"], completions = [" wonderful. Five stars.", " not good."];
    const scores = await rm.score(prompts, completions);
    saveRewardModel(rm, path.join(dir, "rm"), { heldoutAccuracy: 0.5 });
    const loaded = await loadRewardModel(path.join(dir, "rm"));
    expect(await loaded.score(prompts, completions)).toEqual(scores);
    expect(readRewardModelInfo(path.join(dir, "rm"))).toMatchObject({ format: "tsrl-reward-model", heldoutAccuracy: 0.5 });
    loaded.dispose();
    rm.dispose();

    const head = path.join(dir, "rm", REWARD_HEAD_FILE);
    fs.writeFileSync(head, Buffer.from("not a safetensors file at all"));
    await expect(loadRewardModel(path.join(dir, "rm"))).rejects.toThrow(/reward_head\.safetensors is unreadable/);
    fs.rmSync(head);
    await expect(loadRewardModel(path.join(dir, "rm"))).rejects.toThrow(/missing reward_head\.safetensors .*plain GPT-2 directory/);
    await expect(loadRewardModel(path.join(dir, "nowhere"))).rejects.toThrow(/directory does not exist/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("loadOrTrainRewardModel trains and saves once, then loads the cache", async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-rm-")), "rm");
    const pairs = generatePreferencePairs(createRng(12), 6);
    const first = await loadOrTrainRewardModel(dir, base, { pairs, heldout: pairs, batchSize: 3, epochs: 2, seed: 7 });
    expect(first.loaded).toBe(false);
    expect(first.training!.history.length).toBe(4);
    expect(first.info).toMatchObject({ pairs: 6, steps: 4, heldoutAccuracy: first.training!.heldout!.accuracy });
    const second = await loadOrTrainRewardModel(dir, base, { pairs, onProgress: () => { throw new Error("trained again"); } });
    expect(second.loaded).toBe(true);
    expect(await second.rm.score(["The film was"], [" great."])).toEqual(await first.rm.score(["The film was"], [" great."]));
    first.rm.dispose();
    second.rm.dispose();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });
});
