/**
 * The command line on a language model: `tsrl train grpo GPT2` (a fresh tiny GPT-2, rule rewards)
 * writes a Hugging Face GPT-2 directory and the run; a bad --reward spec is named; `tsrl serve DIR
 * --stdio` answers {"prompt"} lines with completions and malformed lines with errors, and goes on.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseRewardSpec } from "../lib/lm/reward-spec";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-gpt2-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI without blocking the test worker (a spawnSync of ~15 s would hold its RPC). */
function run(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsrl, ...args], { cwd: root, timeout: 120_000 });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

describe("--reward SPEC", () => {
  it("parses rules with weights and arguments, weighted parts, reward models and classifiers", () => {
    expect(parseRewardSpec("rules:sentiment=1,length=0.2:16")).toEqual([
      { kind: "rules", weight: 1, rules: [{ kind: "sentiment", weight: 1 }, { kind: "length", weight: 0.2, target: 16, unit: "tokens" }] },
    ]);
    expect(parseRewardSpec("rules:keyword=0.5:great|good,regex:^ The+0.5*rm:runs/rm+hf:models/sst2:POSITIVE")).toEqual([
      { kind: "rules", weight: 1, rules: [{ kind: "keyword", weight: 0.5, keywords: ["great", "good"] }, { kind: "regex", weight: 1, pattern: "^ The" }] },
      { kind: "rm", weight: 0.5, dir: "runs/rm" },
      { kind: "hf", weight: 1, dir: "models/sst2", label: "POSITIVE" },
    ]);
    expect(parseRewardSpec("rules:length:12/words")[0]).toMatchObject({ rules: [{ kind: "length", target: 12, unit: "words" }] });
  });
  it("names what is wrong", () => {
    expect(() => parseRewardSpec("rules:sentimnt=1")).toThrow(/--reward "rules:sentimnt=1": unknown rule "sentimnt"; expected one of sentiment, length/);
    expect(() => parseRewardSpec("model:x")).toThrow(/unknown reward "model"/);
    expect(() => parseRewardSpec("rules:length=x")).toThrow(/weight "x" is not a number/);
    expect(() => parseRewardSpec("rules:length:-3")).toThrow(/target "-3" must be a positive number/);
    expect(() => parseRewardSpec("rules:regex:(")).toThrow(/rule regex: Invalid regular expression/);
    expect(() => parseRewardSpec("rm:")).toThrow(/rm: needs a directory/);
    expect(() => parseRewardSpec("")).toThrow(/empty/);
  });
});

describe("tsrl train grpo GPT2 / tsrl serve", () => {
  const out = path.join(tmp, "grpo");

  it("trains a tiny GPT-2 with rule rewards and writes an HF directory with the run; bad input exits 2 naming it", async () => {
    let r = await run(["train", "grpo", "GPT2", "--model", "tiny", "--reward", "rules:sentiment=1,length=0.2:8", "--steps", "2", "--prompts-per-step", "2",
      "--num-generations", "2", "--max-completion-length", "6", "--beta", "0.1", "--loss-type", "grpo", "--out", out, "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ algorithm: "grpo", env: "GPT2", model: "tiny", stopped: "done", steps: 2, completions: 8 });
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "metrics.csv", "grpo_run.json"]) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"))).toMatchObject({ model_type: "gpt2", n_layer: 4, n_embd: 128, vocab_size: 50257 });
    expect(JSON.parse(fs.readFileSync(path.join(out, "grpo_run.json"), "utf8")).config).toMatchObject({ lossType: "grpo", beta: 0.1, numGenerations: 2 });
    const csv = fs.readFileSync(path.join(out, "metrics.csv"), "utf8").split("\n");
    expect(csv[0].split(",")).toEqual(expect.arrayContaining(["reward", "rewardStd", "kl", "clipLow", "clipHigh", "completionLength", "entropy", "learningRate"]));

    r = await run(["train", "grpo", "GPT2", "--model", "tiny", "--reward", "rules:sentimnt=1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--reward "rules:sentimnt=1": unknown rule "sentimnt"/);
    r = await run(["train", "grpo", "GPT2", "--reward", "rules:sentiment"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --model DIR/);
    r = await run(["train", "grpo", "GPT2", "--model", "tiny", "--reward", "rules:sentiment", "--loss-type", "ppo"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--loss-type "ppo": expected one of grpo \| bnpo \| dr_grpo \| dapo/);
  });

  it("serve --stdio: a completion per {prompt} line, an error line for a malformed one, and goes on", async () => {
    const input = [
      JSON.stringify({ prompt: "The soup was", max_new_tokens: 5, id: 7 }),
      "{oops",
      JSON.stringify({ prompt: 3 }),
      JSON.stringify({ prompt: "The film was", temperature: 0, max_new_tokens: 4 }),
      JSON.stringify({ prompt: "x", max_new_tokens: 0 }),
      JSON.stringify({ prompt: "x", colour: "red" }),
    ].join("\n") + "\n";
    const r = await run(["serve", out, "--stdio", "--seed", "3"], input);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatchObject({ id: 7, tokens: 5 });
    expect(typeof lines[0].completion).toBe("string");
    expect(lines[1].error).toMatch(/^line 2: not JSON/);
    expect(lines[2].error).toMatch(/^line 3: prompt must be a string/);
    expect(lines[3]).toMatchObject({ tokens: 4, finished: false });
    expect(lines[4].error).toMatch(/^line 5: max_new_tokens must be an integer in \[1, 127\]/);
    expect(lines[5].error).toMatch(/^line 6: unknown field "colour"/);
  });
});
