/**
 * `tsrl export trl RUN_DIR --out DIR` on a real `tsrl train grpo GPT2` run (a 1-step run of a small
 * GPT-2, written by the test): the files TRL needs, the model copied byte for byte, prompts that
 * `datasets` reads as JSON lines, every GRPOConfig key one of TRL's field names (the list below,
 * from TRL's source), the Python compiled by python3 -m py_compile, the rule reward computing in
 * Python the numbers tsrl computes, the training script refusing a partial reward and asking for
 * TRL when it is missing, and an --out that is not new left untouched.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadReward, parseRewardSpec } from "../lib/lm/reward-spec";
import { createRng } from "../lib/core/rng";
import { createGpt2, loadGpt2Tokenizer, saveGpt2, writeGpt2TokenizerFiles } from "../lib/nn/gpt2";
import { initBackend } from "../lib/nn/backend";
import { runProcess } from "./run-process";
import { SERVE_GPT2 } from "./serve-fixtures";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");

/**
 * The keyword arguments GRPOConfig accepts that an export may use: TRL v1.9.0's
 * trl/trainer/grpo_config.py (GRPOConfig's own fields) and, through trl/trainer/base_config.py,
 * transformers' TrainingArguments (src/transformers/training_args.py). Read from their sources.
 */
const TRL_VERSION = "trl 1.9.0 (GRPOConfig) on transformers' TrainingArguments";
const GRPO_CONFIG_FIELDS = new Set([
  // GRPOConfig (trl/trainer/grpo_config.py, v1.9.0)
  "learning_rate", "model_init_kwargs", "trust_remote_code", "disable_dropout", "remove_unused_columns", "num_generations", "num_generations_eval",
  "max_completion_length", "shuffle_dataset", "pad_to_multiple_of", "generation_batch_size", "steps_per_generation", "temperature", "top_p", "top_k",
  "min_p", "generation_kwargs", "repetition_penalty", "beta", "num_iterations", "epsilon", "delta", "epsilon_high", "importance_sampling_level",
  "reward_weights", "scale_rewards", "loss_type", "mask_truncated_completions", "sync_ref_model", "log_completions", "num_completions_to_print",
  // TrainingArguments (transformers), through _BaseConfig
  "output_dir", "per_device_train_batch_size", "num_train_epochs", "max_steps", "lr_scheduler_type", "warmup_steps", "optim", "weight_decay",
  "adam_beta1", "adam_beta2", "adam_epsilon", "gradient_accumulation_steps", "max_grad_norm", "bf16", "fp16", "gradient_checkpointing",
  "logging_steps", "report_to", "save_steps", "save_strategy", "seed", "run_name",
]);

let tmp: string, run: string, prompts: string;
const SPEC = "rules:sentiment=1,length=0.2:6,keyword=0.5:great|good,regex=0.3:^ [A-Z]";

function tsrlRun(args: string[]) {
  return runProcess(process.execPath, [tsrl, ...args], { cwd: tmp, timeout: 180_000 });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-export-"));
  await initBackend({ quiet: true });
  const model = createGpt2(SERVE_GPT2, createRng(5));
  saveGpt2(model, path.join(tmp, "base"));
  writeGpt2TokenizerFiles(path.join(tmp, "base"));
  model.dispose();
  prompts = path.join(tmp, "prompts.jsonl");
  fs.writeFileSync(prompts, ['{"prompt": "The soup was"}', '{"prompt": "The film was \\"fine\\""}', '{"prompt": "Naïve café — 😀"}'].join("\n") + "\n");
  run = path.join(tmp, "run");
  const r = await tsrlRun(["train", "grpo", "GPT2", "--model", path.join(tmp, "base"), "--reward", SPEC, "--prompts", "prompts.jsonl", "--steps", "1", "--prompts-per-step", "2",
    "--num-generations", "2", "--max-completion-length", "4", "--num-iterations", "2", "--micro-batch-size", "2", "--epsilon-high", "0.28", "--out", run, "--json", "--quiet"]);
  if (r.status !== 0) throw new Error(`training failed: ${r.stderr}`);
}, 180_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("tsrl export trl", () => {
  let out: string;
  it("writes the model, the prompts, a GRPOConfig, the reward, a training script and a launcher", async () => {
    out = path.join(tmp, "trl");
    const r = await tsrlRun(["export", "trl", run, "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toEqual({ out, prompts: 3, missingReward: [], files: ["README.md", "grpo_config.json", "launch.sh", "model/config.json", "model/model.safetensors", "model/tokenizer.json", "model/tokenizer_config.json", "prompts.jsonl", "reward.py", "train_grpo.py"] });
    for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) expect(fs.readFileSync(path.join(out, "model", f)).equals(fs.readFileSync(path.join(run, f))), f).toBe(true);
    expect(fs.statSync(path.join(out, "launch.sh")).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(path.join(out, "launch.sh"), "utf8")).toMatch(/accelerate launch --num_processes "\$\{NUM_PROCESSES:-1\}" train_grpo.py "\$@"/);
    expect(fs.readdirSync(tmp).filter((f) => f.includes("tsrl-export"))).toEqual([]); // no staging left behind
  });

  it("prompts.jsonl: one JSON object a line with a prompt, starting as tsrl feeds it", () => {
    const lines = fs.readFileSync(path.join(out, "prompts.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([{ prompt: "<|endoftext|>The soup was" }, { prompt: '<|endoftext|>The film was "fine"' }, { prompt: "<|endoftext|>Naïve café — 😀" }]);
  });

  it(`every GRPOConfig key is a field of ${TRL_VERSION}, with the run's values`, () => {
    const config = JSON.parse(fs.readFileSync(path.join(out, "grpo_config.json"), "utf8"));
    const unknown = Object.keys(config).filter((k) => !GRPO_CONFIG_FIELDS.has(k));
    expect(unknown).toEqual([]);
    expect(config).toMatchObject({
      max_steps: 2, // 1 generation batch × 2 iterations
      num_generations: 2, max_completion_length: 4, num_iterations: 2, epsilon_high: 0.28, epsilon: 0.2,
      per_device_train_batch_size: 2, gradient_accumulation_steps: 2, steps_per_generation: 2, // 2 prompts × 2 completions, micro-batches of 2
      scale_rewards: "group", loss_type: "dapo", importance_sampling_level: "token", lr_scheduler_type: "linear", learning_rate: 1e-5,
    });
    const readme = fs.readFileSync(path.join(out, "README.md"), "utf8");
    for (const k of Object.keys(config)) expect(readme, k).toContain(`\`${k}`);
  });

  it("the Python compiles (python3 -m py_compile)", async () => {
    for (const f of ["train_grpo.py", "reward.py"]) {
      const r = await runProcess("python3", ["-m", "py_compile", path.join(out, f)], { timeout: 30_000 });
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
    }
  });

  it("reward.py computes the rule reward tsrl computes", async () => {
    const tok = loadGpt2Tokenizer();
    const completions = [" great food, not bad at all.", " It was good. Good!", " the worst, hardly great", "", " Never liked it; goodness no", " A café 😀 with GREAT tea", " bad bad bad", " dull_good great_ x"];
    const promptsIn = completions.map((_, i) => ["The soup was", 'The film was "fine"', "Naïve café — 😀"][i % 3]);
    const ids = completions.map((c) => tok.encode(c));
    const reward = await loadReward(parseRewardSpec(SPEC));
    const expected = await reward.reward(promptsIn, completions);
    reward.dispose();
    const driver = `import json, sys\nsys.path.insert(0, ${JSON.stringify(out)})\nimport reward\nd = json.load(sys.stdin)\nprint(json.dumps(reward.reward(d["prompts"], d["completions"], completion_ids=d["ids"])))\n`;
    const got = await new Promise<string>((resolve, reject) => {
      const child = spawn("python3", ["-c", driver]);
      let stdout = "", stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(stderr))));
      child.stdin.end(JSON.stringify({ prompts: promptsIn.map((p) => `<|endoftext|>${p}`), completions, ids: ids.map((x, i) => (i % 2 ? [...x, 50256] : x)) }));
    });
    const values = JSON.parse(got) as number[];
    expect(values).toHaveLength(completions.length);
    values.forEach((v, i) => expect(v, completions[i]).toBeCloseTo(expected[i], 12));
    expect(new Set(values.map((v) => v.toFixed(6))).size).toBeGreaterThan(4); // the rules tell these apart
  });

  it("train_grpo.py: asks for TRL when it is not installed; refuses a reward it lacks part of", async () => {
    const noTrl = await runProcess("python3", ["-S", path.join(out, "train_grpo.py")], { timeout: 30_000 }); // -S: no site-packages, so no TRL
    expect(noTrl.status).toBe(1);
    expect(noTrl.stderr).toMatch(/^train_grpo.py needs TRL: pip install trl datasets accelerate \(No module named/);

    const rmRun = path.join(tmp, "run-rm");
    fs.cpSync(run, rmRun, { recursive: true });
    const runFile = path.join(rmRun, "grpo_run.json");
    fs.writeFileSync(runFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(runFile, "utf8")), reward: "rules:sentiment+0.5*rm:runs/tiny-rm" }));
    const rmOut = path.join(tmp, "trl-rm");
    const r = await tsrlRun(["export", "trl", rmRun, "--out", rmOut]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).missingReward).toEqual([expect.stringMatching(/^rm:runs\/tiny-rm \(weight 0.5\): a tsrl Bradley-Terry reward model; TRL takes a reward model as a sequence-classification model/)]);
    expect(fs.readFileSync(path.join(rmOut, "README.md"), "utf8")).toMatch(/Not computed by reward.py/);
    const refused = await runProcess("python3", [path.join(rmOut, "train_grpo.py")], { timeout: 30_000 });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/reward.py does not compute all of the run's reward:\n {2}- rm:runs\/tiny-rm/);
  });

  it("refuses an --out that is not new or empty, and a directory that is not a GRPO run, touching nothing", async () => {
    const mine = path.join(tmp, "mine");
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, "notes.txt"), "keep me");
    let r = await tsrlRun(["export", "trl", run, "--out", mine]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out .*mine: is a non-empty directory tsrl did not write \(it holds 'notes.txt'/);
    expect(fs.readdirSync(mine)).toEqual(["notes.txt"]);
    r = await tsrlRun(["export", "trl", path.join(tmp, "base"), "--out", path.join(tmp, "x")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no grpo_run.json; expected the directory of a `tsrl train grpo GPT2` run/);
    expect(fs.existsSync(path.join(tmp, "x"))).toBe(false);
    r = await tsrlRun(["export", "onnx", run, "--out", path.join(tmp, "y")]);
    expect(r.status).toBe(2);
    const empty = path.join(tmp, "empty");
    fs.mkdirSync(empty);
    expect((await tsrlRun(["export", "trl", run, "--out", empty])).status).toBe(0);
    // a second export onto the first is refused: exports are never replaced
    r = await tsrlRun(["export", "trl", run, "--out", empty]);
    expect(r.status).toBe(2);
    expect(fs.readdirSync(empty).sort()).toContain("launch.sh");
    // the guard's own refusals hold for exports too: the current directory, a git work tree
    r = await tsrlRun(["export", "trl", run, "--out", "."]);
    expect(r.status).toBe(2);
  });
});
