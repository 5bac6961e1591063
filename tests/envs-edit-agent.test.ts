/**
 * EditAgent-v0: the action layout, transitions per op, masks per op, reward arithmetic worked by
 * hand, the oracle (minimal steps, never a masked action), minimal edits proved by breadth-first
 * search, the registry hooks, the evaluation harness and the relational featuriser.
 */
import { describe, expect, it } from "vitest";
import { InvalidActionError } from "../lib/core/env";
import { envSpec, makeEnv } from "../lib/envs/registry";
import { createRng } from "../lib/core/rng";
import { datasetsDir } from "../lib/data/paths";
import {
  EDIT_ACTIONS, EDIT_END, EDIT_FAMILIES, EDIT_FEATURE_SHAPES, EDIT_FEATURE_SIZE, EDIT_INSTRUCTION_FEATURES, EDIT_LOCATIONS, EDIT_MAX_PAYLOADS,
  EDIT_MAX_TOKENS, EDIT_OPS, EDIT_PAYLOAD_FEATURES, EDIT_SPLITS, EDIT_STOP, EDIT_TEXT_FEATURES, applyEditAction, charEditDistance, decodeAction,
  editActionMask, editObservation, editOracleAct, editTokenize, encodeAction, evalExactColumn, evaluateEditPolicy, featurizeEditObservation, makeEditAgent,
  minimalEdits, oracleAction, readEditTasks, runOracle, searchMinimalEdits, stopAtOnceAct,
  type EditAct, type EditObservation, type EditOp, type EditSplit, type EditTask,
} from "../lib/envs";

const splits = Object.fromEntries(EDIT_SPLITS.map((s) => [s, readEditTasks(datasetsDir("edit", `${s}.jsonl`))])) as Record<EditSplit, EditTask[]>;
const task = (family: EditTask["family"], instruction: string, source: string, target: string, id = "t"): EditTask => ({ id, family, instruction, source, target });
const act = (op: EditOp, location = 0, payload = 0) => encodeAction({ op, location, payload });
const slot = (obs: EditObservation, payload: string) => {
  const p = obs.payloads.indexOf(payload);
  if (p < 0) throw new Error(`no payload ${JSON.stringify(payload)} in ${JSON.stringify(obs.payloads)}`);
  return p;
};
/** Legal actions of a mask, as "OP location payload" strings, for one op. */
const legal = (mask: Uint8Array, op: EditOp) => {
  const out: string[] = [];
  mask.forEach((m, a) => {
    const d = decodeAction(a);
    if (m && d.op === op) out.push(`${d.location}/${d.payload}`);
  });
  return out;
};
/** A few tasks of every family from a split (the first `k` of each). */
const sample = (split: EditSplit, k: number) => EDIT_FAMILIES.flatMap((f) => splits[split].filter((t) => t.family === f).slice(0, k));

// "Swap cat for dog.": the cat sat → The dog sat.  (d0 = 5: t→T, cat→dog, +.)
const SWAP = task("replace", "Swap cat for dog.", "the cat sat", "The dog sat.", "swap");

describe("EditAgent-v0 actions", () => {
  it("index = (op · 41 + location) · 24 + payload; decode and encode are inverse over all 3936", () => {
    expect(EDIT_ACTIONS).toBe(4 * 41 * 24);
    expect([EDIT_LOCATIONS, EDIT_END, EDIT_MAX_PAYLOADS]).toEqual([41, 40, 24]);
    for (let a = 0; a < EDIT_ACTIONS; a++) {
      const d = decodeAction(a);
      expect(a).toBe((EDIT_OPS.indexOf(d.op) * 41 + d.location) * 24 + d.payload);
      expect(encodeAction(d)).toBe(a);
    }
    expect(decodeAction(EDIT_STOP)).toEqual({ op: "STOP", location: 0, payload: 0 });
    expect(encodeAction({ op: "INSERT", location: EDIT_END, payload: 1 })).toBe(40 * 24 + 1);
    expect(() => decodeAction(EDIT_ACTIONS)).toThrow(/3936 is not an action index/);
    expect(() => encodeAction({ op: "MOVE" as EditOp })).toThrow(/op must be one of INSERT, REPLACE, DELETE, STOP, got "MOVE"/);
    expect(() => encodeAction({ op: "INSERT", location: 41 })).toThrow(/location must be an integer in 0..40/);
  });

  it("payloads: space and period, case transforms of the first word and of the named words, the instruction's words, then the other transforms; deduplicated", () => {
    const obs = editObservation(SWAP.instruction, editTokenize(SWAP.source));
    expect(obs.payloads).toEqual([" ", ".", "The", "CAT", "Cat", "Swap", "cat", "for", "dog", "THE", "Sat", "SAT"]);
    // at most 24: a long text's other transforms are cut, the instruction's words kept; its quotes and punctuation are no payloads
    const long = editObservation("Fix 'it', please.", editTokenize("one two three four five six seven eight nine ten eleven twelve"));
    expect(long.payloads).toHaveLength(EDIT_MAX_PAYLOADS);
    expect(long.payloads.slice(0, 6)).toEqual([" ", ".", "One", "Fix", "it", "please"]);
  });

  it("edited flags: what the episode's edits wrote, through insert, replace and delete", () => {
    const env = makeEditAgent({ tasks: [SWAP] });
    let { obs } = env.reset({ options: { taskIndex: 0 } });
    expect(obs.edited).toEqual([false, false, false, false, false]);
    obs = env.step(encodeAction({ op: "REPLACE", location: 2, payload: obs.payloads.indexOf("dog") })).obs;
    expect(obs.edited).toEqual([false, false, true, false, false]);
    obs = env.step(encodeAction({ op: "INSERT", location: 0, payload: obs.payloads.indexOf("Swap") })).obs;
    expect(obs.edited).toEqual([true, false, false, true, false, false]);
    obs = env.step(encodeAction({ op: "DELETE", location: 1 })).obs;
    expect(obs.edited).toEqual([true, false, true, false, false]);
  });
});

describe("EditAgent-v0 transitions and rewards", () => {
  it("INSERT at END and before a token, REPLACE, DELETE, STOP — with the reward of each step worked by hand", () => {
    const env = makeEditAgent({ tasks: [SWAP] });
    let { obs, info } = env.reset({ options: { taskIndex: 0 } });
    expect(obs.textTokens).toEqual(["the", " ", "cat", " ", "sat"]);
    expect(info).toMatchObject({ editDistance: 5, minimalEdits: 3, exactMatch: false, steps: 0, edits: 0, taskIndex: 0, family: "replace" });
    const steps: [number, string, number, number][] = []; // action, text after, distance after, reward by hand
    const step = (a: number, text: string, d: number, reward: number) => {
      const r = env.step(a);
      expect(r.obs.text).toBe(text);
      expect(r.info.editDistance).toBe(d);
      expect(charEditDistance(text, SWAP.target)).toBe(d);
      expect(r.reward).toBeCloseTo(reward, 12);
      steps.push([a, text, d, reward]);
      obs = r.obs;
      return r;
    };
    step(act("INSERT", EDIT_END, slot(obs, ".")), "the cat sat.", 4, 1 / 5 - 0.01); // d 5 → 4
    step(act("REPLACE", 2, slot(obs, "dog")), "the dog sat.", 1, 3 / 5 - 0.01); // d 4 → 1
    let r = step(act("INSERT", 0, slot(obs, "Swap")), "Swapthe dog sat.", 5, (1 - 5) / 5 - 0.01); // farther: "Swapthe" → "The" is 4 deletions + t→T
    expect(r.obs.textTokens.slice(0, 2)).toEqual(["Swap", "the"]); // not re-tokenised: two tokens, location 1 is still "the"
    step(act("DELETE", 0), "the dog sat.", 1, (5 - 1) / 5 - 0.01);
    step(act("REPLACE", 0, slot(obs, "The")), "The dog sat.", 0, 1 / 5 - 0.01);
    r = env.step(EDIT_STOP);
    expect(r).toMatchObject({ terminated: true, truncated: false });
    expect(r.reward).toBeCloseTo(-0.01 + 1, 12);
    expect(r.info).toMatchObject({ exactMatch: true, editDistance: 0, steps: 6, edits: 5 });
    // the return: progress sums to 1 (the whole distance closed), six steps cost 0.06, the exact STOP earns 1
    expect(steps.reduce((s, x) => s + x[3], 0) + r.reward).toBeCloseTo(1 - 0.06 + 1, 12);
    expect(() => env.step(EDIT_STOP)).toThrow(/after the episode ended/);
  });

  it("STOP without a match costs the penalty; a masked action changes nothing and costs the illegal penalty", () => {
    const env = makeEditAgent({ tasks: [SWAP] });
    env.reset({ options: { taskIndex: 0 } });
    const r1 = env.step(act("REPLACE", 31, 3)); // past the text
    expect(r1.obs.text).toBe("the cat sat");
    expect(r1.info).toMatchObject({ illegal: true, steps: 1, edits: 0 });
    expect(r1.reward).toBeCloseTo(-0.01 - 0.1, 12);
    const r2 = env.step(EDIT_STOP);
    expect(r2.reward).toBeCloseTo(-0.01 - 0.5, 12);
    expect(r2.info.exactMatch).toBe(false);
    // rewards are options; a one-edit task under the defaults: the oracle earns 1.98
    const custom = makeEditAgent({ tasks: [task("period", "Add a period at the end.", "Kai held her cake", "Kai held her cake.")], rewards: { stepCost: 0.05, exactBonus: 2 } });
    const { obs } = custom.reset({ seed: 0 });
    const a = custom.step(oracleAction(obs, "Kai held her cake.")), b = custom.step(EDIT_STOP);
    expect(a.reward + b.reward).toBeCloseTo(1 - 0.1 + 2, 12);
    env.reset({ options: { taskIndex: 0 } });
    expect(() => env.step(1.5)).toThrow(InvalidActionError);
    expect(() => env.step(EDIT_ACTIONS)).toThrow(/invalid action 3936 .*Discrete\(3936\)/);
  });

  it("masks, op by op", () => {
    const obs = editObservation(SWAP.instruction, editTokenize(SWAP.source)); // 5 tokens, 12 payloads
    const mask = editActionMask(obs.textTokens, obs.payloads);
    expect(legal(mask, "STOP")).toEqual(["0/0"]);
    expect(legal(mask, "DELETE")).toEqual(["0/0", "1/0", "2/0", "3/0", "4/0"]); // one slot per token, none past the text
    const replace = legal(mask, "REPLACE");
    expect(replace.every((x) => Number(x.split("/")[0]) < 5 && Number(x.split("/")[1]) < 12)).toBe(true);
    expect(replace).not.toContain(`2/${slot(obs, "cat")}`); // cat → cat is a no-op
    expect(replace).toContain(`2/${slot(obs, "dog")}`);
    expect(replace).not.toContain("1/0"); // " " → " "
    expect(replace).not.toContain("0/0"); // a space at the start
    expect(replace).not.toContain("2/0"); // a space between two spaces
    const insert = legal(mask, "INSERT");
    expect(insert.every((x) => ["0", "1", "2", "3", "4", "40"].includes(x.split("/")[0]))).toBe(true); // before tokens 0–4 or at END, not "before 5"
    expect(insert.filter((x) => x.endsWith("/0"))).toEqual([]); // every gap touches a space or an end
    expect(insert).toContain("40/1"); // "." at END
    expect(insert.filter((x) => Number(x.split("/")[1]) >= 12)).toEqual([]); // padding
    // a space between two words is legal
    const merged = applyEditAction(obs.textTokens, obs.payloads, act("INSERT", 0, slot(obs, "Swap"))) as string[];
    const m2 = editActionMask(merged, editObservation(SWAP.instruction, merged).payloads);
    expect(m2[act("INSERT", 1, 0)]).toBe(1);
    // a full text (40 tokens) takes no INSERT; a one-token text no DELETE
    const full = editTokenize(Array.from({ length: 20 }, (_, i) => `w${i}`).join(" ") + ".");
    expect(full).toHaveLength(EDIT_MAX_TOKENS);
    const mf = editActionMask(full, editObservation("Go.", full).payloads);
    expect(legal(mf, "INSERT")).toEqual([]);
    expect(legal(mf, "DELETE")).toHaveLength(40);
    expect(legal(editActionMask(["word"], [" ", ".", "Word"]), "DELETE")).toEqual([]);
  });
});

describe("the oracle and minimal edits", () => {
  it("solves every task of a sample from each family and split in exactly its minimal number of edits, never taking a masked action", () => {
    for (const split of EDIT_SPLITS) {
      const tasks = sample(split, 25);
      const env = makeEditAgent({ tasks });
      tasks.forEach((t, k) => {
        let { obs, info } = env.reset({ options: { taskIndex: k } });
        let edits = 0;
        for (;;) {
          const a = oracleAction(obs, t.target);
          expect(info.actionMask[a], `${t.id}: the oracle chose masked ${a}`).toBe(1);
          const r = env.step(a);
          obs = r.obs;
          info = r.info;
          if (r.terminated) break;
          edits++;
        }
        expect(info.exactMatch, t.id).toBe(true);
        expect(edits, t.id).toBe(minimalEdits(t));
      });
    }
  });

  it("the oracle reaches every committed task in its minimal edits (all 5,058, on the pure state functions)", () => {
    for (const split of EDIT_SPLITS) {
      for (const t of splits[split]) {
        const run = runOracle(t);
        if (!run.solved || run.edits !== minimalEdits(t)) throw new Error(`${t.id}: oracle ${JSON.stringify(run)}, minimal ${minimalEdits(t)}`);
      }
    }
  });

  it("minimal edits = the closed form, proved by breadth-first search over the action space on the shortest tasks of each family", () => {
    const all = EDIT_SPLITS.flatMap((s) => splits[s]);
    const shortest = (family: string, m: number) => all.filter((t) => t.family === family && minimalEdits(t) === m).sort((a, b) => a.source.length - b.source.length || a.id.localeCompare(b.id)).slice(0, 2);
    for (const family of EDIT_FAMILIES) {
      for (const m of [1, 2]) {
        for (const t of shortest(family, m)) {
          const found = searchMinimalEdits(t, { maxDepth: m });
          expect(found.edits, `${t.id} ${t.family}`).toBe(m);
          if (m === 2) expect(searchMinimalEdits(t, { maxDepth: 1 })).toMatchObject({ edits: undefined, complete: true });
        }
      }
    }
    // three space runs: nothing within two edits (exhaustive), and the oracle does it in three
    const [three] = shortest("spaces", 3);
    expect(searchMinimalEdits(three, { maxDepth: 2 })).toMatchObject({ edits: undefined, complete: true });
    expect(runOracle(three)).toMatchObject({ solved: true, edits: 3 });
    // a hand-made case: closing "the  cat" needs one edit; inserting a word needs two (the word and a space)
    expect(searchMinimalEdits(task("spaces", "Remove the extra spaces.", "the  cat", "the cat"), { maxDepth: 2 }).edits).toBe(1);
    expect(searchMinimalEdits(task("insert", "Add big after the.", "the cat", "the big cat"), { maxDepth: 2 }).edits).toBe(2);
  });

  it("closed forms per family", () => {
    const byFamily = (f: string) => new Set(EDIT_SPLITS.flatMap((s) => splits[s]).filter((t) => t.family === f).map(minimalEdits));
    for (const f of ["capitalise", "period", "replace", "upper", "lower", "typo"]) expect([...byFamily(f)], f).toEqual([1]);
    for (const f of ["delete", "insert"]) expect([...byFamily(f)], f).toEqual([2]);
    expect([...byFamily("spaces")].sort()).toEqual([1, 2, 3]);
  });
});

describe("EditAgent-v0 in the registry", () => {
  it("makeEnv: the train split by default, seeded task draws, a 20-step limit that truncates", () => {
    const env = makeEnv<EditObservation, number>("EditAgent-v0");
    const a = env.reset({ seed: 5 }), b = env.reset({ seed: 5 });
    expect(a.obs).toEqual(b.obs);
    expect(Object.keys(a.obs).sort()).toEqual(["edited", "instruction", "instructionTokens", "payloads", "text", "textTokens"]);
    expect(splits.train.some((t) => t.instruction === a.obs.instruction && t.source === a.obs.text)).toBe(true);
    let info = a.info;
    let r;
    for (let k = 0; k < 20; k++) {
      // always the first legal edit: never STOP
      const action = info.actionMask!.findIndex((m, i) => m === 1 && i !== EDIT_STOP);
      r = env.step(action);
      info = r.info;
      expect(r.truncated).toBe(k === 19);
      expect(r.terminated).toBe(false);
    }
    expect(env.observationSpace.shape).toEqual([EDIT_FEATURE_SIZE]);
    expect(env.actionSpace.toString()).toBe(`Discrete(${EDIT_ACTIONS})`);
  });

  it("groupStart gives a group one task: K envs reset with it see the same task", () => {
    const spec = envSpec("EditAgent-v0");
    const options = { split: "validation" };
    const start = spec.episodes!.groupStart!(createRng(1), options);
    expect(start).toEqual(spec.episodes!.groupStart!(createRng(1), options));
    const envs = [0, 1, 2].map(() => makeEnv<EditObservation, number>("EditAgent-v0", { options }));
    const obs = envs.map((e, i) => e.reset({ seed: 100 + i, options: start }).obs);
    expect(obs[1]).toEqual(obs[0]);
    expect(obs[2]).toEqual(obs[0]);
    expect(obs[0].instruction).toBe(splits.validation[(start as { taskIndex: number }).taskIndex].instruction);
  });

  it("evaluate: the validation report card — the oracle solves it, STOP-at-once does not", () => {
    const spec = envSpec("EditAgent-v0");
    type Act = Parameters<NonNullable<typeof spec.evaluate>>[0];
    const oracle = spec.evaluate!(editOracleAct as unknown as Act, { games: 90, seed: 2 });
    expect(oracle).toMatchObject({ evalExactMatch: 1, solved: 1, evalNormEditDistance: 0 });
    expect(oracle.evalMeanSteps).toBe(oracle.evalMeanMinimalSteps);
    for (const f of EDIT_FAMILIES) expect(oracle[evalExactColumn(f)]).toBe(1);
    const stop = spec.evaluate!(stopAtOnceAct as unknown as Act, { games: 90, seed: 2 });
    expect(stop).toMatchObject({ evalExactMatch: 0, solved: 0, evalMeanSteps: 0 });
  });

  it("options are checked, naming the bad value", () => {
    expect(() => makeEditAgent({ spilt: "train" } as never)).toThrow(/unknown option 'spilt'/);
    expect(() => makeEditAgent({ split: "test" as EditSplit })).toThrow(/split must be one of "train", "validation", "heldout", "heldout-phrasings", got "test"/);
    expect(() => makeEditAgent({ split: "train", tasks: [SWAP] })).toThrow(/give tasks or split, not both/);
    expect(() => makeEditAgent({ tasks: [{ ...SWAP, target: SWAP.source }] })).toThrow(/options.tasks\[0\]: source and target are the same/);
    expect(() => makeEditAgent({ tasks: "/nonexistent/edit.jsonl" })).toThrow(/no task file \/nonexistent\/edit.jsonl/);
    expect(() => makeEditAgent({ rewards: { stepCost: Number.NaN } })).toThrow(/reward stepCost must be a finite number/);
    const env = makeEditAgent({ tasks: [SWAP] });
    expect(() => env.reset({ options: { taskIndex: 1 } })).toThrow(/taskIndex must be an integer in 0..0, got 1/);
    expect(() => env.reset({ options: { task: { ...SWAP, family: "poem" } } })).toThrow(/reset option task: unknown family "poem"/);
    expect(() => env.reset({ options: { tsk: SWAP } })).toThrow(/unknown reset option 'tsk'/);
    expect(env.reset({ options: { task: SWAP } }).info.taskIndex).toBe(-1);
    expect(() => makeEditAgent({ tasks: [SWAP] }).step(0)).toThrow(/before reset/);
  });
});

describe("evaluateEditPolicy", () => {
  const CAP = task("capitalise", "Capitalise the first letter.", "the cat sat.", "The cat sat.", "cap");

  it("STOP at once on two hand tasks: the numbers by hand", () => {
    const r = evaluateEditPolicy(stopAtOnceAct, [SWAP, CAP]);
    expect(r.count).toBe(2);
    expect(r.exactMatch).toBe(0);
    expect(r.meanSteps).toBe(0);
    expect(r.meanMinimalSteps).toBe((3 + 1) / 2);
    expect(r.meanNormalizedEditDistance).toBeCloseTo((5 / 12 + 1 / 12) / 2, 12); // distance / the longer length
    expect(r.perFamily.replace).toMatchObject({ count: 1, exactMatch: 0, meanMinimalSteps: 3 });
    expect(r.perFamily.capitalise).toMatchObject({ count: 1, meanMinimalSteps: 1 });
    expect(r.episodes[0]).toMatchObject({ id: "swap", output: "the cat sat", steps: 0, minimal: 3, exact: false, stopped: true, editDistance: 5 });
    expect(r.episodes[0].diff).toEqual([{ kind: "same", text: "the cat sat" }]);
    expect(r.episodes[0].errors.filter((s) => s.kind !== "same").map((s) => s.kind + ":" + s.text)).toEqual(["delete:t", "insert:T", "delete:cat", "insert:dog", "insert:."]);
  });

  it("the oracle: exact on every task, steps equal to the minimal, the return by hand", () => {
    const tasks = sample("heldout", 6);
    const r = evaluateEditPolicy(editOracleAct, tasks);
    expect(r).toMatchObject({ count: tasks.length, exactMatch: 1, meanNormalizedEditDistance: 0 });
    expect(r.meanSteps).toBeCloseTo(r.meanMinimalSteps, 12);
    for (const e of r.episodes) {
      expect(e).toMatchObject({ exact: true, stopped: true, steps: e.minimal });
      expect(e.return).toBeCloseTo(1 - 0.01 * (e.minimal + 1) + 1, 10);
    }
    expect(Object.keys(r.perFamily).sort()).toEqual([...EDIT_FAMILIES].sort());
  });

  it("a sampling policy: the harness passes greedy and a seeded rng (same seed, same outputs); the time limit ends a policy that never stops", () => {
    const random: EditAct = (_obs, { greedy, rng, mask }) => {
      expect(greedy).toBe(false);
      const legalActions = [...mask!.keys()].filter((a) => mask![a] === 1);
      return legalActions[rng.int(legalActions.length)];
    };
    const tasks = sample("validation", 2);
    const a = evaluateEditPolicy(random, tasks, { greedy: false, seed: 9 }), b = evaluateEditPolicy(random, tasks, { greedy: false, seed: 9 });
    expect(a.episodes.map((e) => e.output)).toEqual(b.episodes.map((e) => e.output));
    const never: EditAct = (_obs, { mask }) => mask!.findIndex((m, i) => m === 1 && i !== EDIT_STOP);
    const n = evaluateEditPolicy(never, tasks.slice(0, 3));
    expect(n.episodes.every((e) => e.steps === 20 && !e.stopped)).toBe(true);
  });
});

describe("the relational featuriser", () => {
  const features = (t: EditTask) => featurizeEditObservation(editObservation(t.instruction, editTokenize(t.source)));
  const col = (docs: readonly (readonly [string, string])[], name: string) => docs.findIndex(([n]) => n === name);

  it("is finite, in [0, 1], and of one fixed size for every state (the observation space's)", () => {
    const sizes = new Set<number>();
    for (const t of [...sample("train", 3), ...sample("heldout", 3), SWAP]) {
      const f = features(t);
      sizes.add(f.flat.length);
      expect(f.flat.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      for (const [name, shape] of Object.entries(EDIT_FEATURE_SHAPES)) expect(f[name as keyof typeof EDIT_FEATURE_SHAPES].length).toBe(shape.reduce((a, b) => a * b, 1));
      expect(f.text.buffer).toBe(f.flat.buffer); // the blocks are views of flat
    }
    expect([...sizes]).toEqual([EDIT_FEATURE_SIZE]);
  });

  it("is identical for two tasks that differ only in their (unseen) words", () => {
    const pairs: [EditTask, EditTask][] = [
      [task("replace", "Replace 'cat' with 'rug'.", "The cat slept near Anna.", "The rug slept near Anna."),
        task("replace", "Replace 'fox' with 'owl'.", "The fox slept near Omar.", "The owl slept near Omar.")],
      [task("typo", "Fix the typo in garden.", "My gardn was green.", "My garden was green."),
        task("typo", "Fix the typo in pencil.", "My pencl was black.", "My pencil was black.")],
      [task("upper", "Write 'velvet' in capital letters.", "Yuki hugged a velvet otter.", "Yuki hugged a VELVET otter."),
        task("upper", "Write 'golden' in capital letters.", "Emma lifted a golden camel.", "Emma lifted a GOLDEN camel.")],
    ];
    for (const [a, b] of pairs) {
      const fa = features(a), fb = features(b);
      expect(Array.from(fa.flat)).toEqual(Array.from(fb.flat));
      expect(Array.from(fa.textWordIds)).toEqual(Array.from(fb.textWordIds));
      expect(Array.from(fa.instructionWordIds)).toEqual(Array.from(fb.instructionWordIds));
      expect(Array.from(fa.payloadWordIds)).toEqual(Array.from(fb.payloadWordIds));
    }
    // and not blind: a different task gives different features
    expect(Array.from(features(pairs[0][0]).flat)).not.toEqual(Array.from(features(pairs[1][0]).flat));
  });

  it("the relations say what they are documented to say", () => {
    const up = task("upper", "Write 'dog' in capital letters.", "The dog ran.", "The DOG ran.");
    const obs = editObservation(up.instruction, editTokenize(up.source));
    const f = featurizeEditObservation(obs);
    const FT = EDIT_TEXT_FEATURES.length, FP = EDIT_PAYLOAD_FEATURES.length, FI = EDIT_INSTRUCTION_FEATURES.length;
    const dog = obs.textTokens.indexOf("dog"), DOG = obs.payloads.indexOf("DOG");
    expect(f.text[dog * FT + col(EDIT_TEXT_FEATURES, "instrCaseless")]).toBe(1);
    expect(f.text[dog * FT + col(EDIT_TEXT_FEATURES, "instrQuoted")]).toBe(1);
    expect(f.text[0 * FT + col(EDIT_TEXT_FEATURES, "instrCaseless")]).toBe(0); // "The" is not named by the instruction
    expect(f.payloads[DOG * FP + col(EDIT_PAYLOAD_FEATURES, "upperOfText")]).toBe(1);
    expect(f.payloadText[(DOG * EDIT_LOCATIONS + dog) * 6 + 3]).toBe(1); // DOG = upper(dog), pointing at that token
    expect(f.text[EDIT_END * FT + col(EDIT_TEXT_FEATURES, "end")]).toBe(1);
    const quoteRow = obs.instructionTokens.indexOf("dog");
    expect(f.instruction[quoteRow * FI + col(EDIT_INSTRUCTION_FEATURES, "quoted")]).toBe(1);
    expect(f.instruction[quoteRow * FI + col(EDIT_INSTRUCTION_FEATURES, "content")]).toBe(1);
    expect(f.instruction[0 * FI + col(EDIT_INSTRUCTION_FEATURES, "is:write")]).toBe(1);
    const ty = editObservation("Fix the typo in garden.", editTokenize("My gardn was green."));
    const ft = featurizeEditObservation(ty);
    expect(ft.text[ty.textTokens.indexOf("gardn") * FT + col(EDIT_TEXT_FEATURES, "instrTypo")]).toBe(1);
    expect(ft.text[ty.textTokens.indexOf("green") * FT + col(EDIT_TEXT_FEATURES, "instrTypo")]).toBe(0);
  });
});
