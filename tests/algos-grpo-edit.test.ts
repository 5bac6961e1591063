/**
 * The edit agent's policy and its training: the pointer network's masking and action layout, its
 * blindness to which content word a token is (what lets it generalise), the GRPO hook (featurised
 * rollouts, agents acting on the env's own observations), the behaviour-cloning warm start
 * improving, GRPO's rows, and a checkpoint round trip that acts identically.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itSlow } from "./slow";
import { createGrpoAgent, grpoConfig, grpoUpdate, type GrpoBatch } from "../lib/algos/grpo";
import { createAdam } from "../lib/nn/optim";
import { createPolicyNet } from "../lib/nn/policy-nets";
import { logProbOfAction } from "../lib/nn/categorical";
import { saveAgent } from "../lib/algos/checkpoint";
import { loadPolicy } from "../lib/algos/registry";
import { envSpec } from "../lib/envs/registry";
import { createRng } from "../lib/core/rng";
import { datasetsDir } from "../lib/data/paths";
import {
  EDIT_ACTIONS, EDIT_FEATURE_SIZE, EDIT_LOCATIONS, EDIT_MAX_PAYLOADS, EDIT_STOP, applyEditPolicy, decodeAction, editActionMask, editObservation,
  editTokenize, featurizeEditObservation, oracleAction, readEditTasks, type EditAct, type EditObservation, type EditTask,
} from "../lib/envs";
import { initBackend } from "../lib/nn/backend";
import { createEditPolicyNet, editPolicy, editPolicyNetFromWeights, editPolicyWeights } from "../lib/envs/edit/policy-net";

beforeAll(async () => { await initBackend({ quiet: true }); });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-edit-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const train = readEditTasks(datasetsDir("edit", "train.jsonl"));
const obsOf = (t: Pick<EditTask, "instruction" | "source">): EditObservation => editObservation(t.instruction, editTokenize(t.source));
const spec = { hidden: 16, instructionWidth: 8 };

describe("the edit pointer network", () => {
  it("gives one logit per action; sampling and argmax never pick a masked action; probabilities sum to 1 over the legal ones", () => {
    const net = createEditPolicyNet("policy", spec, createRng(3));
    const policy = editPolicy(net);
    const rng = createRng(4);
    for (const t of train.slice(0, 12)) {
      const obs = obsOf(t);
      const mask = editActionMask(obs.textTokens, obs.payloads);
      const x = featurizeEditObservation(obs).flat;
      expect(policy.logits(x, 1)).toHaveLength(EDIT_ACTIONS);
      const p = policy.probs(x, mask);
      let legal = 0;
      p.forEach((v, a) => {
        if (!mask[a]) expect(v).toBe(0);
        else legal += v;
      });
      expect(legal).toBeCloseTo(1, 5);
      for (let k = 0; k < 20; k++) expect(mask[policy.act(x, { greedy: false, rng, mask })]).toBe(1);
      expect(mask[policy.act(x, { greedy: true, rng, mask })]).toBe(1);
    }
    net.dispose();
  });

  it("lays scores out as (op·41 + location)·24 + payload: DELETE and STOP do not depend on the payload slot", () => {
    const net = createEditPolicyNet("policy", spec, createRng(5));
    const z = editPolicy(net).logits(featurizeEditObservation(obsOf(train[0])).flat, 1);
    const at = (op: number, loc: number, p: number) => z[(op * EDIT_LOCATIONS + loc) * EDIT_MAX_PAYLOADS + p];
    for (const loc of [0, 3, 40]) for (const p of [1, 7, 23]) {
      expect(at(2, loc, p)).toBe(at(2, loc, 0));
      expect(at(3, loc, p)).toBe(z[EDIT_STOP]);
    }
    expect(decodeAction(EDIT_STOP).op).toBe("STOP");
    // INSERT and REPLACE do depend on the payload (the bilinear and relation terms)
    expect(new Set([0, 2, 3, 4].map((p) => at(0, 1, p))).size).toBeGreaterThan(1);
    net.dispose();
  });

  it("cannot tell content words apart beyond what WordNet says: renaming a word (same length, same WordNet concepts) everywhere leaves every logit unchanged", () => {
    const net = createEditPolicyNet("policy", spec, createRng(6));
    const policy = editPolicy(net);
    // "yak" and "elk" are nouns WordNet knows, near no edit concept ("dog" is not: to dog someone is to follow them)
    const a = { instruction: "Replace the word 'cat' with 'yak'.", source: "the cat ran home" };
    const b = { instruction: "Replace the word 'owl' with 'elk'.", source: "the owl ran home" };
    expect(featurizeEditObservation(obsOf(b)).flat).toEqual(featurizeEditObservation(obsOf(a)).flat);
    const za = policy.logits(featurizeEditObservation(obsOf(a)).flat, 1);
    const zb = policy.logits(featurizeEditObservation(obsOf(b)).flat, 1);
    let diff = 0;
    for (let k = 0; k < za.length; k++) diff = Math.max(diff, Math.abs(za[k] - zb[k]));
    expect(diff).toBeLessThan(1e-5);
    // …but it does see relations: 'cut' is one letter from 'cat', and that changes them
    const c = { instruction: "Replace the word 'cat' with 'cot'.", source: "the cat ran home" };
    const zc = policy.logits(featurizeEditObservation(obsOf(c)).flat, 1);
    expect(za.some((v, k) => Math.abs(v - zc[k]) > 1e-5)).toBe(true);
    net.dispose();
  });

  it("batches rows independently, round-trips its weights by name and shape, and frees its tensors", () => {
    const before = tf.memory().numTensors;
    const net = createEditPolicyNet("policy", spec, createRng(7));
    const rows = train.slice(0, 3).map((t) => featurizeEditObservation(obsOf(t)).flat);
    const batch = new Float32Array(3 * EDIT_FEATURE_SIZE);
    rows.forEach((r, i) => batch.set(r, i * EDIT_FEATURE_SIZE));
    const policy = editPolicy(net);
    const all = policy.logits(batch, 3);
    const one = policy.logits(rows[2], 1);
    for (let k = 0; k < EDIT_ACTIONS; k += 97) expect(all[2 * EDIT_ACTIONS + k]).toBeCloseTo(one[k], 4);
    const copy = editPolicyNetFromWeights("policy", spec, editPolicyWeights(net));
    expect(Array.from(editPolicy(copy).logits(rows[0], 1))).toEqual(Array.from(policy.logits(rows[0], 1)));
    const w = editPolicyWeights(net);
    expect(() => editPolicyNetFromWeights("policy", { hidden: 32, instructionWidth: 8 }, w)).toThrow(/weight 'policy\/.*' has shape/);
    const { ["policy/u/w"]: _, ...missing } = w;
    expect(() => editPolicyNetFromWeights("policy", spec, missing)).toThrow(/missing weight 'policy\/u\/w'/);
    net.dispose();
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("GRPO on EditAgent-v0", () => {
  const small = { envId: "EditAgent-v0", seed: 2, hiddenSizes: [16, 8], numGenerations: 4, groupsPerUpdate: 2, evalEvery: 1000, evalGames: 4 };

  it("the preset: the edit network, a warm start, GRPO's groups", () => {
    const c = grpoConfig({ envId: "EditAgent-v0" });
    expect(c).toMatchObject({ net: "edit", advantage: "group", numGenerations: 8 });
    expect(c.warmStartSteps).toBeGreaterThan(0);
    expect(grpoConfig({ envId: "TicTacToe-v0" })).toMatchObject({ net: "mlp", warmStartSteps: 0 });
    expect(() => grpoConfig({ envId: "EditAgent-v0", hiddenSizes: [16] })).not.toThrow(); // checked when the net is built
  });

  it("the env registry's hooks: a featuriser onto the observation space, the oracle's demonstrations", () => {
    const s = envSpec("EditAgent-v0");
    const obs = obsOf(train[0]);
    expect(s.observation!.featurize!(obs)).toEqual(featurizeEditObservation(obs).flat);
    const demos = s.demonstrations!({ tasks: train.slice(0, 10) }, createRng(1));
    // every oracle episode ends in STOP, and the warm start also clones STOP on ceil(10 / 9) = 2 nonsense instructions
    expect(demos.filter((d) => d.action === EDIT_STOP)).toHaveLength(12);
    for (const d of demos) expect(d.mask![d.action]).toBe(1);
  });

  it("GRPO's update on the edit network: the preferred attempt's actions become likelier, the other's less likely", () => {
    const policy = createPolicyNet("policy", { net: "edit", hiddenSizes: [16, 8], activation: "relu" }, EDIT_FEATURE_SIZE, EDIT_ACTIONS, createRng(9));
    // two one-step attempts at each of three tasks: the oracle's edit (A = +1) and STOP at once (A = −1)
    const tasks = train.filter((t) => t.family === "period").slice(0, 3);
    const rows = tasks.flatMap((t) => {
      const obs = obsOf(t), mask = editActionMask(obs.textTokens, obs.payloads), x = featurizeEditObservation(obs).flat;
      return [{ x, mask, action: oracleAction(obs, t.target, mask), adv: 1 }, { x, mask, action: EDIT_STOP, adv: -1 }];
    });
    const T = rows.length;
    const batch: GrpoBatch = {
      obs: new Float32Array(T * EDIT_FEATURE_SIZE), actions: Int32Array.from(rows, (r) => r.action), oldLogp: new Float32Array(T),
      advantages: Float32Array.from(rows, (r) => r.adv), weights: new Float32Array(T).fill(1 / T), masks: new Uint8Array(T * EDIT_ACTIONS),
    };
    rows.forEach((r, t) => { batch.obs.set(r.x, t * EDIT_FEATURE_SIZE); batch.masks!.set(r.mask, t * EDIT_ACTIONS); });
    const logps = () => {
      const z = policy.logits(batch.obs, T);
      return rows.map((r, t) => logProbOfAction(z, t, EDIT_ACTIONS, r.action, batch.masks));
    };
    const before = logps();
    batch.oldLogp.set(before);
    const optimizer = createAdam({ lr: 3e-3 });
    const config = { epsilon: 0.2, beta: 0, entCoef: 0, maxGradNorm: 1, dropout: 0 };
    let stats;
    for (let k = 0; k < 3; k++) stats = grpoUpdate(policy, optimizer, batch, batch.oldLogp, config, k);
    const after = logps();
    rows.forEach((r, t) => (r.adv > 0 ? expect(after[t]).toBeGreaterThan(before[t]) : expect(after[t]).toBeLessThan(before[t])));
    expect(Number.isFinite(stats!.loss) && stats!.gradNorm > 0).toBe(true);
    optimizer.dispose();
    policy.dispose();
  });

  itSlow("the warm start clones the oracle (its loss falls), then GRPO logs its rows; the agent acts on the env's own observations", async () => {
    const agent = await createGrpoAgent({ ...small, warmStartSteps: 50, warmStartBatch: 16, warmStartLearningRate: 3e-3, maxEpisodes: 16 });
    const r = await agent.train();
    const warm = r.metrics.filter((m) => Number.isFinite(m.warmStartLoss));
    expect(warm).toHaveLength(2); // 25 steps per row
    expect(warm[1].warmStartLoss).toBeLessThan(warm[0].warmStartLoss);
    expect(warm[1].warmStartLoss).toBeLessThan(Math.log(200) * 0.8); // well below uniform over the legal actions
    expect(warm[1].evalExactMatch).toBeGreaterThanOrEqual(0); // the report card after the warm start
    const grpoRows = r.metrics.filter((m) => !Number.isFinite(m.warmStartLoss));
    expect(grpoRows).toHaveLength(2);
    for (const row of grpoRows) {
      for (const k of ["return", "loss", "entropy", "gradNorm"]) expect(Number.isFinite(row[k]), k).toBe(true);
      // the env's per-episode numbers, averaged over the update's 8 episodes
      expect(row.exactMatch * 8).toBeCloseTo(Math.round(row.exactMatch * 8), 6);
      expect(row.minimalEdits).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(row.edits)).toBe(true);
    }
    expect(r.episodes).toBe(16);
    const obs = obsOf(train[1]);
    const mask = editActionMask(obs.textTokens, obs.payloads);
    expect(mask[agent.act(obs as unknown as Float32Array, { greedy: true, rng: createRng(0), mask })]).toBe(1);
    agent.dispose();
  });

  itSlow("the rank-and-prefer (top-m) advantages run on the edit agent too", async () => {
    const agent = await createGrpoAgent({ ...small, warmStartSteps: 0, advantage: "rank", topM: 1, maxEpisodes: 16 });
    const r = await agent.train();
    expect(r.metrics).toHaveLength(2);
    for (const row of r.metrics) for (const k of ["return", "loss", "gradNorm"]) expect(Number.isFinite(row[k]), k).toBe(true);
    agent.dispose();
  });

  it("a checkpoint round trip acts identically (same probabilities, same edits)", async () => {
    const agent = await createGrpoAgent({ ...small, warmStartSteps: 0, maxEpisodes: 8 });
    await agent.train();
    const dir = saveAgent(path.join(tmp, "ckpt"), agent);
    const loaded = loadPolicy(dir);
    expect(loaded.envId).toBe("EditAgent-v0");
    for (const t of train.slice(0, 5)) {
      const obs = obsOf(t) as unknown as Float32Array;
      const a = agent.probs(obs), b = loaded.probs(obs);
      for (let k = 0; k < EDIT_ACTIONS; k += 53) expect(b[k]).toBeCloseTo(a[k], 6);
      const x = applyEditPolicy(agent.act as unknown as EditAct, t.instruction, t.source, { maxSteps: 4 });
      const y = applyEditPolicy(loaded.act as unknown as EditAct, t.instruction, t.source, { maxSteps: 4 });
      expect(y).toEqual(x);
    }
    agent.dispose();
  });
});
