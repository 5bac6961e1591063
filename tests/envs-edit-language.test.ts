/**
 * Issue 16's language: the phrasing split is really disjoint from training, the WordNet lexicon
 * carries held-out wordings to the edit concepts without listing them, the featuriser's one-hot
 * knows no held-out word, the "unasked change" rule, the abstain verdict, and the nonsense sets.
 */
import { describe, expect, it } from "vitest";
import { datasetsDir } from "../lib/data/paths";
import {
  EDIT_CONCEPTS, EDIT_CONCEPT_NAMES, EDIT_FAMILIES, EDIT_HELDOUT_PHRASINGS, EDIT_INSTRUCTION_FEATURES, EDIT_KNOWN_WORDS, EDIT_PHRASINGS,
  EDIT_END, EDIT_STOP, HELDOUT_KEY_WORDS, PHRASING_WORDS, applyEditPolicy, editTokenize, editWords, encodeAction, evaluateEditPolicy,
  featurizeEditObservation, editObservation, generateNonsense, nonsenseDemonstrations, phraseAffinity, readEditTasks,
} from "../lib/envs";
import { chooseAbstainThreshold, editVerdict, unaskedChange, type EditProbs } from "../lib/envs/edit/evaluate";
import { conceptAffinity, negatedStem } from "../lib/envs/edit/lexicon";
import type { EditAct } from "../lib/envs/edit/oracle";

const concept = (words: string[], i: number, name: string) => phraseAffinity(words, i)[EDIT_CONCEPT_NAMES.indexOf(name)];

describe("the phrasing split", () => {
  it("held-out phrasings are new templates whose key words never occur in a training phrasing", () => {
    const train = new Set(Object.values(EDIT_PHRASINGS).flat());
    for (const f of EDIT_FAMILIES) {
      expect(EDIT_HELDOUT_PHRASINGS[f].length, f).toBeGreaterThanOrEqual(4);
      for (const p of EDIT_HELDOUT_PHRASINGS[f]) {
        expect(train.has(p), p).toBe(false);
        // every held-out phrasing has at least one word no training phrasing uses
        expect(editWords(p.replace(/\{[A-Z]\}/g, " ")).some((w) => !PHRASING_WORDS.includes(w.toLowerCase())), p).toBe(true);
      }
    }
    expect(HELDOUT_KEY_WORDS.length).toBeGreaterThan(30);
    for (const w of HELDOUT_KEY_WORDS) expect(PHRASING_WORDS.includes(w), w).toBe(false);
  });

  it("no training, validation or held-out (sentence) instruction uses a held-out key word; every heldout-phrasings one does", () => {
    const key = new Set(HELDOUT_KEY_WORDS);
    const has = (s: string) => editWords(s).some((w) => key.has(w.toLowerCase()));
    for (const split of ["train", "validation", "heldout"]) {
      const bad = readEditTasks(datasetsDir("edit", `${split}.jsonl`)).filter((t) => has(t.instruction));
      expect(bad.map((t) => t.instruction), split).toEqual([]);
    }
    const hp = readEditTasks(datasetsDir("edit", "heldout-phrasings.jsonl"));
    expect(hp.length).toBe(504);
    expect(hp.filter((t) => !has(t.instruction)).map((t) => t.instruction)).toEqual([]);
  });

  it("the featuriser's one-hot names no held-out key word and no edit verb: those are read through WordNet", () => {
    for (const w of HELDOUT_KEY_WORDS) expect(EDIT_KNOWN_WORDS.includes(w), w).toBe(false);
    for (const w of ["delete", "remove", "insert", "replace", "capitalise", "period", "typo", "uppercase"]) expect(EDIT_KNOWN_WORDS.includes(w), w).toBe(false);
    expect(EDIT_INSTRUCTION_FEATURES.some(([n]) => n === "concept:remove")).toBe(true);
  });
});

describe("the WordNet lexicon", () => {
  it("names each concept by seeds that are words of the training phrasings only", () => {
    for (const [c, seeds] of Object.entries(EDIT_CONCEPTS)) {
      for (const s of seeds) for (const w of s.split("_")) expect(PHRASING_WORDS.includes(w) || PHRASING_WORDS.some((p) => p.startsWith(w) || w.startsWith(p.replace(/ed$/, ""))), `${c}: ${s}`).toBe(true);
      for (const s of seeds) for (const w of s.split("_")) expect(HELDOUT_KEY_WORDS.includes(w), `${c}: ${s}`).toBe(false);
    }
  });

  it("carries words no phrasing lists to their concept, and leaves content words alone", () => {
    // none of these is a seed; WordNet's synonym sets and links carry them
    expect(concept(["erase"], 0, "remove")).toBeGreaterThan(0);
    expect(concept(["omitted"], 0, "remove")).toBeGreaterThan(0);
    expect(concept(["get", "rid", "of"], 1, "remove")).toBeGreaterThan(0);
    expect(concept(["substitute"], 0, "replace")).toBeGreaterThan(0);
    expect(concept(["misspelling"], 0, "spelling")).toBeGreaterThan(0);
    expect(concept(["capitals"], 0, "upper")).toBeGreaterThan(0);
    expect(concept(["introduce"], 0, "insert")).toBeGreaterThan(0);
    for (const w of ["banana", "telescope", "jolly", "guitar", "thermos"]) expect(Math.max(...phraseAffinity([w], 0)), w).toBe(0);
    // a multi-word synonym holding a seed: "following" → follow ~ "come after"
    expect(concept(["following"], 0, "after")).toBe(1);
    // a negating prefix: the stem's concept, reported apart ("decapitalize" = not + capital)
    expect(Array.from(conceptAffinity("decapitalize")).every((x) => x === 0)).toBe(true);
    expect(negatedStem("decapitalize")[EDIT_CONCEPT_NAMES.indexOf("capital")]).toBe(1);
    expect(Math.max(...negatedStem("delete"))).toBe(0);
  });

  it("the featuriser reads a word's neighbours: 'after X' and 'before X' give X different rows", () => {
    const row = (instruction: string, word: string) => {
      const obs = editObservation(instruction, editTokenize("the old cat sat."));
      const f = featurizeEditObservation(obs);
      const j = obs.instructionTokens.indexOf(word), FI = EDIT_INSTRUCTION_FEATURES.length;
      return Array.from(f.instruction.subarray(j * FI, (j + 1) * FI));
    };
    const names = EDIT_INSTRUCTION_FEATURES.map(([n]) => n);
    const a = row("Add big after cat.", "cat"), b = row("Add big before cat.", "cat");
    expect(a[names.indexOf("prevIs:after")]).toBe(1);
    expect(b[names.indexOf("prevIs:before")]).toBe(1);
    expect(a[names.indexOf("prevConcept:after")]).toBe(1);
    expect(b[names.indexOf("prevConcept:before")]).toBe(1);
    const n = row("Don't write cat in capital letters.", "capital");
    expect([n[names.indexOf("negated")], n[names.indexOf("concept:capital")]]).toEqual([1, 1]);
  });

  it("reads a hyphenated compound WordNet lacks by its parts, and British -ise spellings as -ize", () => {
    expect(concept(["all-caps"], 0, "upper")).toBe(1);
    expect(concept(["full-stop"], 0, "period")).toBe(1);
    expect(concept(["capitalised"], 0, "capital")).toBe(1);
    expect(negatedStem("uncapitalised")[EDIT_CONCEPT_NAMES.indexOf("capital")]).toBe(1);
    // a hyphenated negation is a negation, not its stem's concept ("un-capitalise" is no request to capitalise)
    expect(Math.max(...conceptAffinity("un-capitalise"))).toBe(0);
    expect(negatedStem("un-capitalise")[EDIT_CONCEPT_NAMES.indexOf("capital")]).toBe(1);
    expect(Math.max(...phraseAffinity(["well-worn"], 0))).toBe(0);
  });

  it("when the instruction quotes a word, an unquoted word the text lacks is not a slot's word", () => {
    const content = (instruction: string, word: string) => {
      const obs = editObservation(instruction, editTokenize("A walrus sketched the dusty teapot."));
      const f = featurizeEditObservation(obs), FI = EDIT_INSTRUCTION_FEATURES.length;
      const j = obs.instructionTokens.indexOf(word);
      return f.instruction[j * FI + EDIT_INSTRUCTION_FEATURES.findIndex(([n]) => n === "content")];
    };
    // "scrap" is no WordNet edit concept: alone it looks like a word to write, beside a quoted word it does not
    expect(content("Please scrap dusty.", "scrap")).toBe(1);
    expect(content("Please scrap `dusty`.", "scrap")).toBe(0);
    expect(content("Please scrap `dusty`.", "dusty")).toBe(1);
    expect(content("Swap 'dusty' for 'shiny'.", "shiny")).toBe(1);
    expect(content("Swap 'dusty' for shiny.", "shiny")).toBe(0);
  });

  it("is deterministic and offline: the same numbers twice", () => {
    const a = Array.from(phraseAffinity(["strike", "out"], 0)), b = Array.from(phraseAffinity(["strike", "out"], 0));
    expect(a).toEqual(b);
  });
});

describe("unasked changes", () => {
  it("flags a change outside the target edit's span, worked by hand", () => {
    const source = "Her well-known poet sulked", target = "Her well-known poet sulked.";
    expect(unaskedChange(source, target, target)).toBe(false);
    expect(unaskedChange(source, target, source)).toBe(false); // nothing changed
    expect(unaskedChange(source, target, "Her well known poet sulked.")).toBe(true); // issue 16's failure
    expect(unaskedChange(source, target, "her well-known poet sulked.")).toBe(true);
    expect(unaskedChange(source, target, "Her well-known poet sulked!")).toBe(false); // wrong, but inside the span
    expect(unaskedChange("The dog ran.", "The cat ran.", "The bat ran.")).toBe(false);
    expect(unaskedChange("The dog ran.", "The cat ran.", "the cat ran.")).toBe(true);
    expect(unaskedChange("The dog ran.", "The cat ran.", "The cat ran")).toBe(true);
  });

  it("evaluation counts exact, abstained and wrong apart, and the unasked-change rate", () => {
    const tasks = [
      { id: "a", family: "period" as const, instruction: "Add a period at the end.", source: "Her well-known poet sulked", target: "Her well-known poet sulked." },
      { id: "b", family: "period" as const, instruction: "Add a period at the end.", source: "The dog ran", target: "The dog ran." },
      { id: "c", family: "period" as const, instruction: "Add a period at the end.", source: "the cat sat", target: "the cat sat." },
    ];
    // a scripted policy: task a right, task b stops at once, task c capitalises then adds the period (an unasked change)
    const act: EditAct = (obs) => {
      if (obs.text.startsWith("Her")) return obs.text.endsWith(".") ? EDIT_STOP : encodeAction({ op: "INSERT", location: EDIT_END, payload: 1 });
      if (obs.text.startsWith("The dog")) return EDIT_STOP;
      if (obs.text.startsWith("the")) return encodeAction({ op: "REPLACE", location: 0, payload: obs.payloads.indexOf("The") });
      return obs.text.endsWith(".") ? EDIT_STOP : encodeAction({ op: "INSERT", location: EDIT_END, payload: 1 });
    };
    const r = evaluateEditPolicy(act, tasks);
    expect(r.episodes.map((e) => [e.exact, e.understood, e.reason, e.unaskedChange])).toEqual([
      [true, true, undefined, false], [false, false, "no-edit", false], [false, true, undefined, true],
    ]);
    expect([r.exactMatch, r.abstained, r.wrong, r.unaskedChangeRate].map((x) => Number(x.toFixed(4)))).toEqual([0.3333, 0.3333, 0.3333, 0.3333]);
  });
});

describe("the abstain verdict", () => {
  it("declines on STOP before any edit, oscillation, the step limit and low confidence — and only then", () => {
    expect(editVerdict("a", [], true, 1)).toBe("no-edit");
    expect(editVerdict("a", ["b", "a"], true, 1)).toBe("oscillation");
    expect(editVerdict("a", ["b", "c", "b"], false, 1)).toBe("oscillation");
    expect(editVerdict("a", ["b", "c"], false, 1)).toBe("step-limit");
    expect(editVerdict("a", ["b"], true, 0.2, 0.5)).toBe("low-confidence");
    expect(editVerdict("a", ["b"], true, 0.6, 0.5)).toBeUndefined();
  });

  it("applyEditPolicy returns the text unchanged with understood false and a reason, and stops a swing at once", () => {
    const stop: EditAct = () => EDIT_STOP;
    const r = applyEditPolicy(stop, "Banana telescope whistle quickly.", "the cat sat.");
    expect([r.text, r.understood, r.reason]).toEqual(["the cat sat.", false, "no-edit"]);
    expect(r.message).toMatch(/could not find/);
    // swings between "cat" and "CAT": stopped at the first repeat, not after 20 steps
    const swing: EditAct = (obs) => encodeAction({ op: "REPLACE", location: 2, payload: obs.payloads.indexOf(obs.textTokens[2] === "cat" ? "CAT" : "cat") });
    const s = applyEditPolicy(swing, "Make cat uppercase.", "the cat sat.");
    expect([s.text, s.understood, s.reason, s.steps.length]).toEqual(["the cat sat.", false, "oscillation", 2]);
    // a confident, finished edit is understood; the same edit at low confidence is not
    const up: EditAct = (obs) => (obs.text.includes("CAT") ? EDIT_STOP : encodeAction({ op: "REPLACE", location: 2, payload: obs.payloads.indexOf("CAT") }));
    const sure: EditProbs = (obs, mask) => { const p = new Float32Array(mask.length); p[up(obs, { greedy: true } as never)] = 1; return p; };
    const unsure: EditProbs = (obs, mask) => { const p = new Float32Array(mask.length); p[up(obs, { greedy: true } as never)] = 0.3; return p; };
    expect(applyEditPolicy(up, "Make cat uppercase.", "the cat sat.", { probs: sure })).toMatchObject({ text: "the CAT sat.", understood: true });
    expect(applyEditPolicy(up, "Make cat uppercase.", "the cat sat.", { probs: unsure, minConfidence: 0.5 })).toMatchObject({ text: "the cat sat.", understood: false, reason: "low-confidence" });
  });
});

describe("choosing the abstain threshold", () => {
  it("takes the smallest threshold among those with the largest margin of nonsense declined over valid declined (within a tie), on the data it is given", () => {
    const valid = ["the dog ran", "the cat sat", "a fox hid"].map((source, k) => ({ id: `v${k}`, family: "period" as const, instruction: "Add a period at the end.", source, target: source + "." }));
    const nonsense = [
      { id: "n1", instruction: "Banana telescope.", text: "the owl flew" },    // edits anyway, unsure (p 0.3)
      { id: "n2", instruction: "Banana whistle.", text: "the elk ran" },      // edits anyway, sure (p 0.95): no threshold catches it without costing
      { id: "n3", instruction: "Purple.", text: "a bee hummed" },             // STOPs: declined at any threshold
    ];
    const period = encodeAction({ op: "INSERT", location: EDIT_END, payload: 1 });
    const act: EditAct = (obs) => (obs.text.endsWith(".") || obs.instruction.startsWith("Purple") ? EDIT_STOP : period);
    const probs: EditProbs = (obs, mask) => {
      const p = new Float32Array(mask.length);
      const a = act(obs, { greedy: true } as never);
      p[a] = a === EDIT_STOP ? 1 : obs.instruction.includes("telescope") ? 0.3 : obs.instruction.includes("whistle") ? 0.95 : 0.8;
      return p;
    };
    const r = chooseAbstainThreshold(act, probs, valid, nonsense, { candidates: [0, 0.2, 0.4, 0.6, 0.8, 0.9] });
    expect(r.sweep.map((x) => [x.minConfidence, x.validAbstained, +x.nonsenseAbstained.toFixed(3)])).toEqual([
      [0, 0, 0.333], [0.2, 0, 0.333], [0.4, 0, 0.667], [0.6, 0, 0.667], [0.8, 0, 0.667], [0.9, 1, 0.667],
    ]);
    expect(r.chosen).toBe(0.4); // 0.4–0.8 catch n1 and cost nothing (ties: the smallest); 0.9 declines every valid task
    // margins within `tie` are ties: with a loose tie 0 (margin 0.333) ties 0.4–0.8 (0.667) and is chosen
    expect(chooseAbstainThreshold(act, probs, valid, nonsense, { candidates: [0, 0.2, 0.4, 0.6, 0.8, 0.9], tie: 0.4 }).chosen).toBe(0);
    // no threshold within the valid budget: 0 (decline nothing on confidence)
    expect(chooseAbstainThreshold(act, probs, valid, nonsense, { candidates: [0.9], maxValidAbstained: 0.01 }).chosen).toBe(0);
  });
});

describe("nonsense", () => {
  it("is seeded, of four kinds, and an 'absent' instruction names no word of its sentence", () => {
    const a = generateNonsense(5, 60, "heldout"), b = generateNonsense(5, 60, "heldout");
    expect(a).toEqual(b);
    expect(generateNonsense(6, 60, "heldout")).not.toEqual(a);
    const trainWords = new Set(Object.values(EDIT_PHRASINGS).flat().flatMap((p) => editWords(p)).map((w) => w.toLowerCase()));
    for (const it of a) expect(editTokenize(it.text).length).toBeLessThanOrEqual(32);
    // the held-out nonsense uses held-out wordings: no "absent" item is worded like a training phrasing
    expect(a.some((it) => editWords(it.instruction).some((w) => HELDOUT_KEY_WORDS.includes(w.toLowerCase())))).toBe(true);
    expect(trainWords.size).toBeGreaterThan(0);
  });

  it("teaches STOP in the first state", () => {
    const demos = nonsenseDemonstrations(generateNonsense(1, 9, "train"));
    expect(demos).toHaveLength(9);
    for (const d of demos) {
      expect(d.action).toBe(EDIT_STOP);
      expect(d.mask[EDIT_STOP]).toBe(1);
      expect(featurizeEditObservation(editObservation(d.obs.instruction, d.obs.textTokens)).flat.length).toBeGreaterThan(0);
    }
  });
});
