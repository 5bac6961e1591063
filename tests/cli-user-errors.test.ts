/**
 * User errors are messages, not stack traces: the real `tsrl` in subprocesses (cwd a temporary
 * folder), each mistake a hostile but fair user makes answered with exit 2 (usage) or 1 (bad files)
 * and one line naming the problem and what is expected — before any training, and without writing
 * an untrained checkpoint. lib/cli/errors.ts is the mechanism; these are its cases. Budgets smaller
 * than one rollout and sizes that cannot fit are refused the same way.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { CheckpointError } from "../lib/data";
import { createGpt2, toHfConfig, GPT2_TINY, loadGpt2Tokenizer, saveGpt2 } from "../lib/nn/gpt2";
import { classifyError } from "../lib/cli/errors";
import { runProcess } from "./run-process";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-cli-errors-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const at = (...p: string[]) => path.join(tmp, ...p);

// a small GPT-2 directory
const gpt2 = at("gpt2");
const model = createGpt2({ ...GPT2_TINY, nLayer: 1, nHead: 2, nEmbd: 8, nPositions: 16 }, createRng(1));
saveGpt2(model, gpt2);
model.dispose();
// the same with a directory where model.safetensors should be, and with a broken tokenizer.json
const dirWeights = at("dir-weights");
fs.mkdirSync(path.join(dirWeights, "model.safetensors"), { recursive: true });
fs.writeFileSync(path.join(dirWeights, "config.json"), JSON.stringify(toHfConfig(GPT2_TINY)));
const badTokenizer = at("bad-tokenizer");
fs.cpSync(gpt2, badTokenizer, { recursive: true });
fs.writeFileSync(path.join(badTokenizer, "tokenizer.json"), "{\"model\": {\"vocab\": ");
// an agent checkpoint's layout with a directory for weights
const agentDirWeights = at("agent-dir-weights");
fs.mkdirSync(path.join(agentDirWeights, "model.safetensors"), { recursive: true });
fs.writeFileSync(path.join(agentDirWeights, "config.json"), JSON.stringify({ algorithm: "reinforce", env: "CartPole-v1", hyperparameters: {} }));

const tsrlRun = (args: string[]) => runProcess(process.execPath, [tsrl, ...args], { cwd: tmp, timeout: 120_000 });

describe("one line and exit 2 or 1, never a stack trace, never an untrained checkpoint", () => {
  it("unknown env, spaces an algorithm cannot handle, env options, configs that cannot run, bad model directories", async () => {
    const cases: { args: string[]; code: number; line: RegExp; out?: string }[] = [
      { args: ["train", "ppo", "Pong-v5"], code: 2, line: /unknown environment 'Pong-v5'; registered: CartPole-v1/ },
      { args: ["train", "ppo", "EditAgent-v0", "--out", "e1"], code: 2, line: /PPO needs observations that are flat vectors \(Float32Array\); EditAgent-v0's are structured objects .*\(grpo\)/, out: "e1" },
      { args: ["train", "reinforce", "EditAgent-v0", "--out", "e2"], code: 2, line: /REINFORCE needs observations that are flat vectors/, out: "e2" },
      { args: ["train", "actor-critic", "TicTacToe-v0", "--env-options", "{\"opponent\":\"nobody\"}"], code: 2, line: /TicTacToe-v0: opponent must be one of "random", "greedy", "minimax"/ },
      { args: ["train", "ppo", "CartPole-v1", "--env-options", "{\"gravity\":1}"], code: 2, line: /CartPole-v1: unknown option 'gravity'; expected one of kinematicsIntegrator, suttonBartoReward/ },
      { args: ["train", "grpo", "TicTacToe-v0", "--warm-start-steps", "10", "--out", "w1"], code: 2, line: /warmStartSteps = 10, but TicTacToe-v0 has no demonstrations/, out: "w1" },
      { args: ["train", "grpo", "GPT2", "--model", "tiny", "--reward", "rules:length", "--max-completion-length", "1000000000"], code: 2, line: /maxCompletionLength 1000000000 leaves no room for a prompt in the model's 128 positions/ },
      { args: ["train", "grpo", "GPT2", "--model", dirWeights, "--reward", "rules:length"], code: 2, line: /model\.safetensors is a directory, expected a file/ },
      { args: ["eval", agentDirWeights], code: 1, line: /model\.safetensors is a directory, expected a file/ },
      { args: ["eval", gpt2], code: 1, line: /is a GPT-2 \(language model\) directory, not an agent checkpoint/ },
      { args: ["serve", badTokenizer, "--stdio", "--max-new-tokens", "4"], code: 1, line: /tokenizer\.json is not valid JSON/ },
      // sizes and budgets that cannot work: refused before any env copy is made
      ...([
        [["ppo", "CartPole-v1", "--num-envs", "100000", "--total-timesteps", "256"], /totalTimesteps = 256 is less than one rollout \(numEnvs × numSteps = 100000 × 32 = 3200000\)/],
        [["ppo", "CartPole-v1", "--num-envs", "20000", "--total-timesteps", "100000000"], /numEnvs = 20000 env copies, expected at most 4096/],
        [["ppo", "CartPole-v1", "--num-envs", "4096", "--total-timesteps", "100000000"], /one gradient step would take 131072 rows .*raise numMinibatches/],
        [["actor-critic", "CartPole-v1", "--num-envs", "4096", "--num-steps", "64"], /one gradient step would take 262144 rows/],
        [["reinforce", "CartPole-v1", "--episodes", "2"], /maxEpisodes = 2 is less than one update's episodes \(episodesPerUpdate = 8\)/],
        [["grpo", "TicTacToe-v0", "--episodes", "10"], /maxEpisodes = 10 is less than one update's episodes \(numGenerations × groupsPerUpdate = 64 × 1\)/],
        [["ppo", "CartPole-v1", "--save-every", "often"], /--save-every "often": expected a number of updates \(e\.g\. 50\) or a duration/],
        [["ppo", "CartPole-v1", "--resume", "nowhere"], /--resume checkpoint .*nowhere: directory does not exist/],
      ] as [string[], RegExp][]).map(([args, line], i) => ({ args: ["train", ...args, "--out", `never-${i}`], code: 2, line, out: `never-${i}` })),
    ];
    const results = await Promise.all(cases.map((c) => tsrlRun(c.args)));
    results.forEach((r, i) => {
      const c = cases[i], what = c.args.join(" ");
      expect(r.status, `${what}\n${r.stderr}`).toBe(c.code);
      const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("tsrl serve: GPT-2")); // serve's start-up line
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatch(c.line);
      expect(r.stderr, what).not.toMatch(/^\s+at /m);
      if (c.out) expect(fs.existsSync(at(c.out)), `${what} wrote ${c.out}`).toBe(false);
    });
  });
});

describe("the loaders name the file", () => {
  it("a bad tokenizer.json is a CheckpointError naming it, whatever is wrong with it", () => {
    for (const [text, problem] of [["{\"model\": {\"vocab\": ", /tokenizer\.json is not valid JSON/], ["[1, 2]", /tokenizer\.json must hold a JSON object/], ["{\"model\": {}}", /not a byte-level BPE tokenizer/]] as const) {
      fs.writeFileSync(path.join(badTokenizer, "tokenizer.json"), text);
      expect(() => loadGpt2Tokenizer(badTokenizer)).toThrow(CheckpointError);
      expect(() => loadGpt2Tokenizer(badTokenizer)).toThrow(problem);
    }
    fs.rmSync(path.join(badTokenizer, "tokenizer.json"));
    fs.mkdirSync(path.join(badTokenizer, "tokenizer.json"));
    expect(() => loadGpt2Tokenizer(badTokenizer)).toThrow(/tokenizer\.json is a directory, expected a file/);
  });

  it("classifyError: usage → 2, bad files → 1, a bug of tsrl's → 1 with its stack", () => {
    expect(classifyError(new RangeError("x"))).toEqual({ code: 2, line: "x" });
    expect(classifyError(new CheckpointError("/d", "missing config.json"))).toEqual({ code: 1, line: "checkpoint /d: missing config.json" });
    expect(classifyError(Object.assign(new Error("EACCES: permission denied, open 'f'"), { code: "EACCES" })).code).toBe(1);
    const bug = classifyError(new TypeError("x is not a function"));
    expect(bug).toMatchObject({ code: 1, line: "TypeError: x is not a function" });
    expect(bug.stack).toMatch(/at /);
  });
});

