/**
 * `--out` as a hostile but fair user types it, through the real `tsrl` in subprocesses whose cwd is
 * a temporary git repository standing in for a checkout: every refusal exits 2 before training,
 * names the path and the reason, and leaves every file as it was; replacing a checkpoint needs
 * --overwrite; a path that cannot be written fails before training.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runProcess } from "./run-process";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-cli-out-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const repo = path.join(tmp, "checkout");
fs.mkdirSync(repo);
execFileSync("git", ["init", "-q", repo]);
fs.writeFileSync(path.join(repo, "README.md"), "my project\n");
fs.mkdirSync(path.join(repo, "notes"));
fs.writeFileSync(path.join(repo, "notes", "todo.md"), "- keep me\n");
fs.writeFileSync(path.join(repo, "paper.tex"), "\\documentclass{article}\n");
fs.mkdirSync(path.join(repo, "vendor", "lib"), { recursive: true });
execFileSync("git", ["init", "-q", path.join(repo, "vendor", "lib")]);
const home = path.join(tmp, "home");
fs.mkdirSync(home);
fs.writeFileSync(path.join(home, ".bashrc"), "# mine\n");

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

const train = (args: string[], cwd = repo) =>
  runProcess(process.execPath, [tsrl, "train", ...args], { cwd, env: { ...process.env, HOME: home }, timeout: 120_000 });
const tiny = ["reinforce", "CartPole-v1", "--episodes", "8", "--quiet"];

describe("tsrl train --out refuses, exit 2, before training, touching nothing", () => {
  it("'', '.', a folder holding the cwd, home, a git work tree, a folder holding one, a file, someone's folder, /proc/x", async () => {
    const before = { repo: snapshot(repo), home: snapshot(home) };
    const cases: [string, RegExp][] = [
      ["", /--out "": an empty path/],
      [".", /is the current directory/],
      ["..", /contains the current directory/],
      [home, /is your home directory/],
      ["vendor", /contains a git work tree \(lib\/\)/],
      ["paper.tex", /is an existing file/],
      ["notes", /non-empty directory tsrl did not write \(it holds 'todo\.md'/],
      ["/proc/x", /cannot be written/],
    ];
    const results = await Promise.all(cases.map(([out]) => train([...tiny, "--out", out, "--overwrite"])));
    results.forEach((r, i) => {
      const [out, reason] = cases[i];
      expect(r.status, `--out ${JSON.stringify(out)}: ${r.stderr}`).toBe(2);
      expect(r.stderr, `--out ${JSON.stringify(out)}`).toMatch(reason);
      expect(r.stderr.trim().split("\n"), `one line for --out ${JSON.stringify(out)}`).toHaveLength(1);
      expect(r.stderr).not.toMatch(/episodes|env steps/); // no training happened
    });
    expect(snapshot(repo)).toEqual(before.repo);
    expect(snapshot(home)).toEqual(before.home);
    // GPT-2 training goes through the same guard
    const g = await train(["grpo", "GPT2", "--model", "tiny", "--reward", "rules:length", "--out", "."]);
    expect(g.status, g.stderr).toBe(2);
    expect(g.stderr).toMatch(/--out .*is the current directory/);
    expect(snapshot(repo)).toEqual(before.repo);
  });

  it("a tsrl checkpoint is replaced only with --overwrite", async () => {
    const cwd = fs.mkdtempSync(path.join(tmp, "runs-"));
    let r = await train([...tiny, "--out", "run", "--json"], cwd);
    expect(r.status, r.stderr).toBe(0);
    const first = fs.readFileSync(path.join(cwd, "run", "config.json"), "utf8");
    r = await train([...tiny, "--out", "run", "--seed", "2"], cwd);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/run: already holds a tsrl checkpoint; replace it with --overwrite/);
    expect(fs.readFileSync(path.join(cwd, "run", "config.json"), "utf8")).toBe(first);
    r = await train([...tiny, "--out", "run", "--seed", "2", "--overwrite", "--json"], cwd);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(cwd, "run", "config.json"), "utf8")).hyperparameters.seed).toBe(2);
    expect(fs.readdirSync(cwd)).toEqual(["run"]); // run.previous is gone once the new one is complete
  });
});
