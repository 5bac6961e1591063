/**
 * The command line on the edit agent: a short GRPO run with the preset's network, `tsrl eval DIR
 * --tasks FILE.jsonl --json` (scores per family; a malformed line named by file and line, the
 * good lines still scored, exit code 1) and `tsrl serve DIR --stdio` with {instruction, text} lines.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EDIT_FAMILIES, readEditTasks } from "../lib/envs";
import { datasetsDir } from "../lib/data/paths";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-edit-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [tsrl, ...args], { cwd: root, encoding: "utf8", timeout: 120_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tsrl on EditAgent-v0", () => {
  const dir = path.join(tmp, "grpo");
  const heldout = readEditTasks(datasetsDir("edit", "heldout.jsonl"));
  const pick = EDIT_FAMILIES.map((f) => heldout.find((t) => t.family === f)!);

  it("trains grpo with the preset's network, warm start and groups", () => {
    const r = run(["train", "grpo", "EditAgent-v0", "--hidden-sizes", "16,8", "--warm-start-steps", "2", "--warm-start-batch", "8",
      "--num-generations", "2", "--groups-per-update", "2", "--episodes", "4", "--eval-games", "4", "--out", dir, "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ algorithm: "grpo", env: "EditAgent-v0", episodes: 4 });
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(config.hyperparameters).toMatchObject({ net: "edit", hiddenSizes: [16, 8], warmStartSteps: 2, advantage: "group" });
    const metrics = fs.readFileSync(path.join(dir, "metrics.csv"), "utf8").split("\n")[0];
    for (const c of ["warmStartLoss", "evalExactMatch", "evalExactTypo", "return"]) expect(metrics).toContain(c);
  });

  it("eval --tasks: exact match, edit distance and steps, overall and per family", () => {
    const file = path.join(tmp, "tasks.jsonl");
    fs.writeFileSync(file, pick.map((t) => JSON.stringify(t)).join("\n") + "\n");
    const r = run(["eval", dir, "--tasks", file, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ env: "EditAgent-v0", count: 9, errors: [] });
    for (const k of ["exactMatch", "meanNormalizedEditDistance", "meanSteps", "meanMinimalSteps", "abstained", "wrong", "unaskedChangeRate"]) expect(typeof s[k]).toBe("number");
    // every episode is exact, abstained or wrong: the three add up
    expect(s.exactMatch + s.abstained + s.wrong).toBeCloseTo(1, 3);
    expect(Object.keys(s.perFamily)).toEqual([...EDIT_FAMILIES]);
    expect(s.perFamily.insert.meanMinimalSteps).toBe(2);
  });

  it("eval --tasks on a nonsense file ({ id, instruction, text }): the fraction declined, and why", () => {
    const file = path.join(tmp, "nonsense.jsonl");
    fs.writeFileSync(file, [
      { id: "n1", instruction: "Banana telescope whistle quickly.", text: "The cat sat on the mat." },
      { id: "n2", instruction: "Translate the sentence into French.", text: "the dog ran" },
    ].map((x) => JSON.stringify(x)).join("\n") + "\n");
    const r = run(["eval", dir, "--tasks", file, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ kind: "nonsense", count: 2 });
    expect(s.abstained + s.edited).toBeCloseTo(1, 6);
    expect(Object.keys(s.reasons).sort()).toEqual(["low-confidence", "no-edit", "oscillation", "step-limit"]);
  });

  it("eval --tasks: a malformed line is named by file and line, the good lines are still scored, exit code 1", () => {
    const file = path.join(tmp, "bad.jsonl");
    const lines = pick.slice(0, 3).map((t) => JSON.stringify(t));
    lines.splice(1, 0, '{"id": "x", "family": "capitalise"');
    lines.push(JSON.stringify({ ...pick[5], id: "y", family: "shout" }));
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const r = run(["eval", dir, "--tasks", file, "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2: not JSON`);
    expect(r.stderr).toContain(`${file}:5: unknown family "shout"`);
    const s = JSON.parse(r.stdout);
    expect(s.count).toBe(3);
    expect(s.errors).toHaveLength(2);
    const missing = run(["eval", dir, "--tasks", path.join(tmp, "nope.jsonl"), "--json"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl/);
  });

  it("serve --stdio: the edited text and its steps per line; a malformed line gets an error line and the server goes on", () => {
    const input = [
      JSON.stringify({ instruction: pick[0].instruction, text: pick[0].source, id: 1 }),
      "{oops",
      JSON.stringify({ instruction: "Delete the word cat.", text: "" }),
      JSON.stringify({ instruction: "Delete the word cat.", txt: "the cat" }),
      JSON.stringify({ instruction: "End it with a period", text: "the cat sat" }),
    ].join("\n") + "\n";
    const r = run(["serve", dir, "--stdio"], input);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(out).toHaveLength(5);
    expect(out[0].id).toBe(1);
    expect(typeof out[0].text).toBe("string");
    expect(Array.isArray(out[0].steps)).toBe(true);
    expect(typeof out[0].understood).toBe("boolean");
    expect(typeof out[0].message).toBe("string");
    // declined: the text comes back unchanged, with a reason
    if (!out[0].understood) expect([out[0].text, typeof out[0].reason]).toEqual([pick[0].source, "string"]);
    expect(out[1].error).toMatch(/^line 2: not JSON/);
    expect(out[2].error).toMatch(/^line 3: text must be a non-empty string/);
    expect(out[3].error).toMatch(/^line 4: unknown field "txt"/);
    expect(typeof out[4].text).toBe("string");
  });
});
