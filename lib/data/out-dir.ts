/**
 * The one guard between tsrl and the user's files: every writer of a checkpoint directory (`tsrl
 * train --out`, `tsrl train grpo GPT2`, pretraining and the reward model, the runs/ caches,
 * `saveAgent` / `saveCheckpoint` / `saveGpt2` from a script or notebook) goes through
 * `checkOutDir`, and every recursive delete in lib/ is `removeCheckpointDir`. Together they make
 * sure tsrl replaces or removes only directories it wrote itself.
 *
 * What a tsrl checkpoint directory is. Every directory tsrl writes holds a marker file,
 * `tsrl-checkpoint.json`, next to its files (config.json, model.safetensors, metrics.csv, the
 * tokenizer and run files of GPT-2 directories, the resume state). A directory counts as tsrl's
 * when it holds nothing but such files (no subdirectory, no symbolic link, no other name) and
 *   - the marker, or
 *   - (written before the marker existed) a config.json with the `algorithm` and `versions`
 *     fields of an agent checkpoint, or a GPT-2 directory (config.json + model.safetensors) with
 *     tsrl's own run file: grpo_run.json, pretrain.json or reward_model.json.
 * A Hugging Face model directory you downloaded (config.json + model.safetensors + tokenizer
 * files, no marker) is therefore not tsrl's: tsrl reads it but never replaces it.
 *
 * What `checkOutDir(dir)` refuses, each with an OutDirError naming the path and the reason:
 * an empty path; the filesystem root; a path that is or contains the current directory or the
 * home directory; a symbolic link; an existing file; a git work tree or a folder with one in it;
 * a non-empty directory that is not tsrl's; an existing tsrl checkpoint unless `overwrite`; and
 * a leftover `DIR.saving` / `DIR.previous` that is not tsrl's (a save renames through those).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The marker file in every directory tsrl writes. */
export const CHECKPOINT_MARKER = "tsrl-checkpoint.json";

/**
 * Every file name tsrl writes in a checkpoint directory (agent checkpoints, GPT-2 directories,
 * reward models, the state a resumed run needs). Anything else in a directory makes it not tsrl's.
 */
export const CHECKPOINT_FILES: ReadonlySet<string> = new Set([
  CHECKPOINT_MARKER,
  "config.json", "model.safetensors", "metrics.csv",
  "tokenizer.json", "tokenizer_config.json",
  "grpo_run.json", "pretrain.json", "reward_model.json", "reward_head.safetensors",
  "train_state.json", "train_state.safetensors",
]);

/** Run files that mark a pre-marker GPT-2 directory as tsrl's. */
const LEGACY_RUN_FILES = ["grpo_run.json", "pretrain.json", "reward_model.json"];

/** A file being written (writeFileAtomic's sibling temp file), left by a crash mid-save. */
const TEMP_FILE = /^(.+)\.tmp-\d+-[a-z0-9]+$/;

/** A path tsrl refuses to write a checkpoint to; `reason` says why. */
export class OutDirError extends Error {
  readonly dir: string;
  readonly reason: string;
  constructor(dir: string, reason: string) {
    super(`${dir === "" ? '""' : dir}: ${reason}`);
    this.name = "OutDirError";
    this.dir = dir;
    this.reason = reason;
  }
}

export interface CheckOutDirOptions {
  /**
   * Replace a tsrl checkpoint already at the path (default true in the library, where re-running a
   * cell saves again; `tsrl train` passes its --overwrite / --resume). Nothing but a tsrl checkpoint
   * is ever replaced, whatever this says.
   */
  overwrite?: boolean;
}

/** What is at a path that may receive a checkpoint. */
export type OutDirState = "absent" | "empty" | "checkpoint";

/**
 * Checks that `dir` may receive a checkpoint (see the module comment); throws an OutDirError
 * naming the path and the reason otherwise. Returns the absolute path and what is there now.
 * Touches nothing.
 */
export function checkOutDir(dir: unknown, opts: CheckOutDirOptions = {}): { dir: string; state: OutDirState } {
  if (typeof dir !== "string" || dir.trim() === "") {
    throw new OutDirError(typeof dir === "string" ? dir : String(dir), "an empty path; give the directory to write, e.g. runs/my-run");
  }
  const target = path.resolve(dir);
  const real = realPath(target);
  if (real === path.parse(real).root) throw new OutDirError(target, "is the filesystem root");
  const cwd = realPath(process.cwd());
  if (contains(real, cwd)) throw new OutDirError(target, real === cwd ? "is the current directory; give a new directory for the checkpoint, e.g. runs/my-run" : `contains the current directory (${cwd})`);
  const home = realPath(os.homedir());
  if (contains(real, home)) throw new OutDirError(target, real === home ? "is your home directory" : `contains your home directory (${home})`);

  for (const sibling of [`${target}.saving`, `${target}.previous`]) {
    const why = fs.existsSync(sibling) || isSymlink(sibling) ? notOursReason(sibling) : undefined;
    if (why) throw new OutDirError(target, `${sibling} exists and is not tsrl's (${why}); a save renames through it — move it away first`);
  }

  const stat = lstat(target);
  if (!stat) return { dir: target, state: "absent" };
  if (stat.isSymbolicLink()) throw new OutDirError(target, "is a symbolic link; give the directory itself");
  if (!stat.isDirectory()) throw new OutDirError(target, "is an existing file, not a directory; give a new or empty directory");
  const entries = fs.readdirSync(target);
  if (entries.includes(".git")) throw new OutDirError(target, "is a git work tree");
  const withGit = entries.find((e) => fs.existsSync(path.join(target, e, ".git")));
  if (withGit) throw new OutDirError(target, `contains a git work tree (${withGit}/)`);
  if (entries.length === 0) return { dir: target, state: "empty" };
  const why = notOursReason(target);
  if (why) throw new OutDirError(target, `is a non-empty directory tsrl did not write (${why}); give a new or empty directory`);
  if (opts.overwrite === false) {
    throw new OutDirError(target, "already holds a tsrl checkpoint; replace it with --overwrite (overwrite: true), or continue its run with --resume");
  }
  return { dir: target, state: "checkpoint" };
}

/**
 * Why `dir` is not a directory tsrl wrote, or undefined when it is (or is empty). A directory is
 * tsrl's when it holds only files tsrl writes (CHECKPOINT_FILES) and tsrl's marker, or a
 * pre-marker checkpoint's own files (see the module comment).
 */
export function notOursReason(dir: string): string | undefined {
  const stat = lstat(dir);
  if (!stat) return undefined;
  if (stat.isSymbolicLink()) return "a symbolic link";
  if (!stat.isDirectory()) return "a file";
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  if (entries.length === 0) return undefined;
  const foreign = entries.filter((e) => !e.isFile() || !knownName(e.name));
  if (foreign.length > 0) {
    const names = foreign.slice(0, 3).map((e) => `'${e.name}${e.isDirectory() ? "/" : ""}'`).join(", ");
    return `it holds ${names}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ""}, which tsrl does not write`;
  }
  const names = new Set(entries.map((e) => e.name));
  if (names.has(CHECKPOINT_MARKER)) {
    return readJson(path.join(dir, CHECKPOINT_MARKER))?.format === "tsrl-checkpoint" ? undefined : `its ${CHECKPOINT_MARKER} is not tsrl's marker`;
  }
  const config = names.has("config.json") ? readJson(path.join(dir, "config.json")) : undefined;
  if (config && typeof config.algorithm === "string" && typeof config.versions === "object" && config.versions !== null) return undefined;
  if (config && names.has("model.safetensors") && LEGACY_RUN_FILES.some((f) => names.has(f))) return undefined;
  return `it has no ${CHECKPOINT_MARKER} (e.g. a model directory tsrl did not make)`;
}

/** The marker's contents: what wrote the directory and what it is. */
export function checkpointMarker(kind: string): string {
  return JSON.stringify({ format: "tsrl-checkpoint", version: 1, kind, note: "written by tsrl; tsrl replaces this directory only when asked (--overwrite)" }, null, 2) + "\n";
}

/**
 * Removes `dir` and its files, but only when it is empty or a directory tsrl wrote (see
 * notOursReason): the only recursive delete in lib/. Anything else throws an OutDirError and is
 * left as it is. A missing `dir` is fine.
 */
export function removeCheckpointDir(dir: string): void {
  const target = path.resolve(dir);
  if (!lstat(target)) return;
  const why = notOursReason(target);
  if (why) throw new OutDirError(target, `not removed: ${why}`);
  // only regular files with tsrl's names are in it (checked above): remove them one by one, then the directory
  for (const name of fs.readdirSync(target)) fs.unlinkSync(path.join(target, name));
  fs.rmdirSync(target);
}

/**
 * Makes sure a checkpoint can be written at `dir` before any training: creates its parent
 * directories, then makes and removes a staging directory beside it. Throws an OutDirError naming
 * the path and the system's reason (no such directory, read-only, permission denied, not a
 * directory…).
 */
export function probeWritable(dir: string): void {
  const target = path.resolve(dir);
  const probe = `${target}.saving`;
  let made: string[] = [];
  try {
    made = makeDirs(path.dirname(target));
    if (fs.existsSync(probe)) removeCheckpointDir(probe); // a leftover of an interrupted save (checked as tsrl's)
    fs.mkdirSync(probe);
    fs.writeFileSync(path.join(probe, CHECKPOINT_MARKER), checkpointMarker("probe"));
  } catch (err) {
    if (err instanceof OutDirError) throw err;
    throw new OutDirError(target, `cannot be written: ${systemReason(err)}`);
  } finally {
    try { removeCheckpointDir(probe); } catch { /* the probe was never made */ }
    // the parents made for the probe go too (a refused or failed command leaves nothing behind); the save makes them again
    for (const d of made.reverse()) {
      try { fs.rmdirSync(d); } catch { /* not empty any more: someone else's now */ }
    }
  }
}

/**
 * `mkdir -p` one level at a time; returns the directories it made, outermost first. (Node's `mkdirSync(dir, { recursive: true })` never returns on
 * some paths, e.g. under /proc; this throws the system's error instead.)
 */
export function makeDirs(dir: string): string[] {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let at = target;
  while (!fs.existsSync(at)) {
    missing.push(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  const made: string[] = [];
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
      made.push(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  if (!fs.statSync(target).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${target}'`), { code: "ENOTDIR" });
  return made;
}

function knownName(name: string): boolean {
  const tmp = TEMP_FILE.exec(name);
  return CHECKPOINT_FILES.has(tmp ? tmp[1] : name);
}

/** True when `inner` is `outer` or lies inside it. */
function contains(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === "" || (rel.split(path.sep)[0] !== ".." && !path.isAbsolute(rel));
}

/** `p` with every symbolic link of its existing part resolved (the rest appended as given). */
function realPath(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail);
    } catch {
      const up = path.dirname(head);
      if (up === head) return path.resolve(p);
      tail.unshift(path.basename(head));
      head = up;
    }
  }
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function isSymlink(p: string): boolean {
  return lstat(p)?.isSymbolicLink() ?? false;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** "no such directory", "read-only file system", … from a system error. */
function systemReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOENT: "no such directory (and it cannot be created there)", EACCES: "permission denied", EPERM: "operation not permitted",
    EROFS: "read-only file system", ENOTDIR: "a part of the path is a file, not a directory", ENOSPC: "no space left on the device", EEXIST: "already exists",
  };
  return (e?.code && known[e.code]) ? `${known[e.code]} (${e.code})` : String(e?.message ?? err);
}

/**
 * Writes a new directory of files (`name` may hold `/` for subfolders) at `dir`, which must be
 * absent or empty and pass checkOutDir: the files go into a hidden sibling first, which is renamed
 * into place once complete, so `dir` is either whole or as it was. On failure exactly the files and
 * folders this call made are removed, one by one: nothing else is ever deleted. For exports (a
 * directory that is not a checkpoint, e.g. `tsrl export trl`). Returns the absolute path.
 */
export function writeNewDirectory(dir: string, files: Readonly<Record<string, string | Uint8Array>>, opts: { executable?: readonly string[] } = {}): string {
  const { dir: target, state } = checkOutDir(dir, { overwrite: false });
  if (state === "checkpoint") throw new OutDirError(target, "already holds a tsrl checkpoint; give a new or empty directory");
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.tsrl-new-${process.pid}`);
  makeDirs(path.dirname(target));
  const madeDirs: string[] = [];
  const madeFiles: string[] = [];
  const mkdir = (d: string) => {
    if (fs.existsSync(d)) return;
    mkdir(path.dirname(d));
    fs.mkdirSync(d);
    madeDirs.push(d);
  };
  try {
    if (fs.existsSync(staging)) throw new OutDirError(target, `${staging} exists (another export running, or a crashed one): move it away first`);
    for (const [name, contents] of Object.entries(files)) {
      const file = path.resolve(staging, name);
      if (!contains(staging, file) || file === staging) throw new OutDirError(target, `file name ${JSON.stringify(name)} leaves the directory`);
      mkdir(path.dirname(file));
      fs.writeFileSync(file, contents, { flag: "wx" });
      madeFiles.push(file);
      if (opts.executable?.includes(name)) fs.chmodSync(file, 0o755);
    }
    if (state === "empty") fs.rmdirSync(target); // empty (checked above); rmdir refuses anything else
    fs.renameSync(staging, target);
    return target;
  } catch (err) {
    for (const f of madeFiles.reverse()) try { fs.unlinkSync(f); } catch { /* already gone */ }
    for (const d of madeDirs.reverse()) try { fs.rmdirSync(d); } catch { /* not empty: not only ours */ }
    throw err;
  }
}
