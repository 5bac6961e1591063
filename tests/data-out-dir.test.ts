/**
 * The guard between tsrl and the user's files (lib/data/out-dir): every writer of a checkpoint
 * directory refuses a place that is not a checkpoint's, names the path and the reason, and leaves
 * everything there as it was; only directories tsrl wrote are replaced or removed. All in
 * temporary folders: a temporary git repository stands in for a user's checkout.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import {
  CHECKPOINT_MARKER, OutDirError, checkOutDir, encodeSafetensors, loadCheckpoint, notOursReason, probeWritable, removeCheckpointDir,
  replaceDirAtomic, saveCheckpoint, type CheckpointTensor,
} from "../lib/data";
import { createGpt2, GPT2_TINY, saveGpt2, writeGpt2TokenizerFiles, type Gpt2 } from "../lib/nn/gpt2";
import { loadOrPretrain } from "../lib/lm/pretrain";
import { loadOrTrainRewardModel } from "../lib/lm/reward-model";
import { createRng } from "../lib/core/rng";

const roots: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-outdir-"));
  roots.push(d);
  return d;
};
afterAll(() => { for (const d of roots) fs.rmSync(d, { recursive: true, force: true }); });

const cwd = process.cwd();
afterEach(() => process.chdir(cwd));

const tensors = (v = 1): Record<string, CheckpointTensor> => ({ w: { data: Float32Array.of(v, 2, 3), shape: [3] } });
const save = (dir: string, opts?: { overwrite?: boolean }) => saveCheckpoint(dir, { config: { algorithm: "test", versions: {} }, tensors: tensors() }, opts);

/** Every file under `dir` with its bytes, to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) out[path.relative(dir, p)] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

/** A git work tree with a few files, as a user's checkout. */
function gitRepo(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("git", ["init", "-q", dir]);
  fs.writeFileSync(path.join(dir, "README.md"), "my project\n");
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "src", "main.ts"), "console.log(1)\n");
  return dir;
}

function refusal(fn: () => unknown): OutDirError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OutDirError);
    return err as OutDirError;
  }
  throw new Error("expected an OutDirError");
}

describe("checkOutDir refuses what is not a checkpoint's place, naming path and reason", () => {
  test("an empty path, '.', the current directory and any folder above it, inside a git checkout: nothing is touched", () => {
    const repo = gitRepo(path.join(tmp(), "checkout"));
    const before = snapshot(repo);
    process.chdir(repo);
    expect(refusal(() => save("")).reason).toMatch(/an empty path/);
    expect(refusal(() => save("   ")).reason).toMatch(/an empty path/);
    expect(refusal(() => save(".")).reason).toMatch(/is the current directory/);
    expect(refusal(() => save(repo)).reason).toMatch(/is the current directory/);
    expect(refusal(() => save("..")).reason).toMatch(/contains the current directory/);
    process.chdir(path.join(repo, "src"));
    expect(refusal(() => save("..")).reason).toMatch(/contains the current directory/);
    process.chdir(cwd);
    expect(snapshot(repo)).toEqual(before);
  });

  test("the filesystem root and the home directory (or a folder holding it)", () => {
    expect(refusal(() => checkOutDir("/")).reason).toMatch(/filesystem root/);
    expect(refusal(() => checkOutDir(os.homedir())).reason).toMatch(/home directory/);
    if (path.dirname(os.homedir()) !== "/") expect(refusal(() => checkOutDir(path.dirname(os.homedir()))).reason).toMatch(/contains your home directory/);
  });

  test("a git work tree, a folder holding one, a file, a symbolic link, a folder of someone's files", () => {
    const root = tmp();
    const repo = gitRepo(path.join(root, "outer", "repo"));
    const file = path.join(root, "notes.txt");
    fs.writeFileSync(file, "keep me\n");
    const notes = path.join(root, "notes");
    fs.mkdirSync(notes);
    fs.writeFileSync(path.join(notes, "todo.md"), "- nothing\n");
    const link = path.join(root, "link");
    fs.symlinkSync(notes, link);
    const before = snapshot(root);

    expect(refusal(() => save(repo)).reason).toMatch(/is a git work tree/);
    expect(refusal(() => save(path.join(root, "outer"))).reason).toMatch(/contains a git work tree \(repo\/\)/);
    expect(refusal(() => save(file)).reason).toMatch(/is an existing file/);
    expect(refusal(() => save(link)).reason).toMatch(/symbolic link/);
    const err = refusal(() => save(notes, { overwrite: true }));
    expect(err.message).toContain(notes);
    expect(err.reason).toMatch(/non-empty directory tsrl did not write \(it holds 'todo\.md'/);
    expect(snapshot(root)).toEqual(before);
  });

  test("a model directory tsrl did not make (config.json + model.safetensors, no marker) is read, never replaced", () => {
    const hf = path.join(tmp(), "gpt2");
    fs.mkdirSync(hf);
    fs.writeFileSync(path.join(hf, "config.json"), JSON.stringify({ model_type: "gpt2" }));
    fs.writeFileSync(path.join(hf, "model.safetensors"), encodeSafetensors({ w: { data: Float32Array.of(1), shape: [1] } }));
    const before = snapshot(hf);
    expect(refusal(() => save(hf, { overwrite: true })).reason).toMatch(/has no tsrl-checkpoint\.json/);
    expect(refusal(() => writeGpt2TokenizerFiles(hf)).reason).toMatch(/has no tsrl-checkpoint\.json/);
    expect(snapshot(hf)).toEqual(before);
  });

  test("someone's DIR.previous or DIR.saving beside the target: refused (a save renames through them)", () => {
    const root = tmp();
    const dir = path.join(root, "run");
    save(dir);
    fs.mkdirSync(`${dir}.previous`);
    fs.writeFileSync(path.join(`${dir}.previous`, "mine.txt"), "mine\n");
    const before = snapshot(root);
    expect(refusal(() => save(dir)).reason).toMatch(/run\.previous exists and is not tsrl's/);
    expect(snapshot(root)).toEqual(before);
  });
});

describe("replacing a tsrl checkpoint", () => {
  test("needs overwrite when asked to (the CLI's default), and keeps the old one until the new one is complete", () => {
    const root = tmp();
    const dir = path.join(root, "run");
    save(dir);
    expect(fs.readdirSync(dir)).toContain(CHECKPOINT_MARKER);
    expect(refusal(() => save(dir, { overwrite: false })).reason).toMatch(/already holds a tsrl checkpoint; replace it with --overwrite/);
    let seen: string[] = [];
    replaceDirAtomic(dir, () => { seen = fs.readdirSync(root).sort(); });
    expect(seen).toEqual(["run", "run.saving"]); // while the new one is being filled, the old one is still in place
    saveCheckpoint(dir, { config: { algorithm: "test", versions: {}, v: 2 }, tensors: tensors(7) }, { overwrite: true });
    expect(loadCheckpoint(dir).config.v).toBe(2);
    expect(fs.readdirSync(root)).toEqual(["run"]);
  });

  test("checkpoints written before the marker still count as tsrl's: agent checkpoints and GPT-2 run directories", () => {
    const root = tmp();
    const agent = path.join(root, "agent");
    fs.mkdirSync(agent);
    fs.writeFileSync(path.join(agent, "config.json"), JSON.stringify({ algorithm: "reinforce", env: "CartPole-v1", versions: { node: "v20" } }));
    fs.writeFileSync(path.join(agent, "model.safetensors"), encodeSafetensors(tensors()));
    fs.writeFileSync(path.join(agent, "metrics.csv"), "update\n1\n");
    expect(notOursReason(agent)).toBeUndefined();
    save(agent, { overwrite: true });
    expect(fs.readdirSync(agent)).toContain(CHECKPOINT_MARKER);

    const lm = path.join(root, "tiny-gpt2");
    fs.mkdirSync(lm);
    for (const f of ["config.json", "pretrain.json", "tokenizer.json"]) fs.writeFileSync(path.join(lm, f), "{}");
    fs.writeFileSync(path.join(lm, "model.safetensors"), encodeSafetensors(tensors()));
    expect(notOursReason(lm)).toBeUndefined();
    // the same files plus one of the user's: not tsrl's any more
    fs.writeFileSync(path.join(lm, "notes.txt"), "mine");
    expect(notOursReason(lm)).toMatch(/'notes\.txt'/);
  });

  test("GPT-2 directories carry the marker, so saveGpt2 replaces its own", async () => {
    const dir = path.join(tmp(), "lm");
    const model = createGpt2({ ...GPT2_TINY, nLayer: 1, nEmbd: 8, nHead: 2, vocabSize: 16, nPositions: 8 }, createRng(1));
    saveGpt2(model, dir);
    expect(fs.readdirSync(dir)).toContain(CHECKPOINT_MARKER);
    expect(() => saveGpt2(model, dir)).not.toThrow();
    expect(refusal(() => saveGpt2(model, dir, { overwrite: false })).reason).toMatch(/already holds a tsrl checkpoint/);
    model.dispose();
  });
});

describe("the runs/ caches refuse before they train", () => {
  test("loadOrPretrain and loadOrTrainRewardModel into someone's folder throw before any training", async () => {
    const notes = path.join(tmp(), "notes");
    fs.mkdirSync(notes);
    fs.writeFileSync(path.join(notes, "a.txt"), "a");
    let trained = false;
    await expect(loadOrPretrain(notes, { steps: 1, onProgress: () => { trained = true; } })).rejects.toThrow(/non-empty directory tsrl did not write/);
    // the base model is not touched either: the check comes first
    await expect(loadOrTrainRewardModel(notes, {} as Gpt2, { onProgress: () => { trained = true; } })).rejects.toThrow(OutDirError);
    expect(trained).toBe(false);
    expect(snapshot(notes)).toEqual({ "a.txt": Buffer.from("a").toString("base64") });
  });
});

describe("a path that cannot be written fails at once", () => {
  test("a probe leaves nothing behind: not even the parent directories it made", () => {
    const root = tmp();
    probeWritable(path.join(root, "runs", "deep", "run"));
    expect(fs.readdirSync(root)).toEqual([]);
  });

  test("/proc/x (where Node's recursive mkdir never returns) and a path through a file", () => {
    expect(refusal(() => probeWritable("/proc/x")).reason).toMatch(/cannot be written: no such directory/);
    const file = path.join(tmp(), "f");
    fs.writeFileSync(file, "");
    expect(refusal(() => probeWritable(path.join(file, "run"))).reason).toMatch(/cannot be written: a part of the path is a file/);
    expect(() => save("/proc/x")).toThrow(/cannot be written|no such/);
  });

  test.skipIf(process.getuid?.() === 0)("a read-only directory (not for root, who may write anywhere)", () => {
    const ro = path.join(tmp(), "ro");
    fs.mkdirSync(ro);
    fs.chmodSync(ro, 0o555);
    try {
      expect(refusal(() => probeWritable(path.join(ro, "run"))).reason).toMatch(/permission denied/);
    } finally {
      fs.chmodSync(ro, 0o755);
    }
  });
});

describe("recursive deletes in lib/ cannot reach a user's folder", () => {
  test("removeCheckpointDir removes only empty or tsrl-written directories", () => {
    const root = tmp();
    const ours = path.join(root, "ours");
    save(ours);
    removeCheckpointDir(ours);
    expect(fs.existsSync(ours)).toBe(false);

    const cases: [string, (d: string) => void][] = [
      ["a user's file", (d) => fs.writeFileSync(path.join(d, "thesis.tex"), "…")],
      ["a subdirectory", (d) => { save(d); fs.mkdirSync(path.join(d, "sub")); }],
      ["a marker that is not tsrl's", (d) => fs.writeFileSync(path.join(d, CHECKPOINT_MARKER), "{}")],
      ["tsrl's file names without the marker", (d) => fs.writeFileSync(path.join(d, "config.json"), "{}")],
    ];
    for (const [what, make] of cases) {
      const d = path.join(root, what.replace(/\W+/g, "-"));
      fs.mkdirSync(d, { recursive: true });
      make(d);
      const before = snapshot(d);
      expect(() => removeCheckpointDir(d), what).toThrow(OutDirError);
      expect(snapshot(d), what).toEqual(before);
    }
    const link = path.join(root, "link");
    fs.symlinkSync(path.join(root, "a-user-s-file"), link);
    expect(() => removeCheckpointDir(link)).toThrow(/symbolic link/);
    expect(fs.existsSync(path.join(root, "a-user-s-file", "thesis.tex"))).toBe(true);
  });

  test("every recursive or directory delete in lib/ is removeCheckpointDir's", () => {
    const lib = path.resolve(__dirname, "..", "lib");
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|cjs|js)$/.test(e.name)) {
          fs.readFileSync(p, "utf8").split("\n").forEach((line, i) => {
            const deletes = /\b(rmSync|rmdirSync|rimraf)\s*\(|\bfs\.(rm|rmdir)\s*\(|\bpromises\.(rm|rmdir)\s*\(|recursive:\s*true[^)]*force/.test(line);
            const single = /rmSync\([^,)]+,\s*\{\s*force:\s*true\s*\}\)/.test(line); // one file (writeFileAtomic's temp file)
            if (deletes && !single) offenders.push(`${path.relative(lib, p)}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    };
    walk(lib);
    // out-dir.ts's own: removeCheckpointDir's rmdir of the emptied directory, and probeWritable's of the empty parents it made
    expect(offenders.filter((o) => !o.startsWith("data/out-dir.ts:")), "a recursive delete that does not go through lib/data/out-dir's removeCheckpointDir (which refuses anything tsrl did not write)").toEqual([]);
    expect(offenders.map((o) => o.replace(/^[^ ]+ /, ""))).toEqual([
      "fs.rmdirSync(target);",
      "try { fs.rmdirSync(d); } catch { /* not empty any more: someone else's now */ }",
      // writeNewDirectory: the empty target (checked empty first) and, on failure, the folders it made itself
      "if (state === \"empty\") fs.rmdirSync(target); // empty (checked above); rmdir refuses anything else",
      "for (const d of madeDirs.reverse()) try { fs.rmdirSync(d); } catch { /* not empty: not only ours */ }",
    ]);
  });
});
