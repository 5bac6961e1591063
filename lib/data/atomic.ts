/**
 * Crash-safe writes. A training run can be interrupted at any moment (Ctrl-C, kernel restart, OOM);
 * a checkpoint or CSV on disk must then be either the old version or the new one, never half of each.
 * Both helpers rely on rename(2) being atomic within one filesystem.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { CHECKPOINT_MARKER, checkOutDir, checkpointMarker, makeDirs, removeCheckpointDir, type CheckOutDirOptions } from "./out-dir";

/** Writes `file` via a fsynced sibling temp file renamed over it; creates parent directories. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const target = path.resolve(file);
  makeDirs(path.dirname(target));
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeFileSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** The sibling names used while replacing a directory (exported so loaders can explain leftovers). */
export function stagingDirs(dir: string): { staging: string; previous: string } {
  const target = path.resolve(dir);
  return { staging: `${target}.saving`, previous: `${target}.previous` };
}

export interface ReplaceDirOptions extends CheckOutDirOptions {
  /** What the directory is, for its marker file (e.g. "agent", "gpt2"). */
  kind?: string;
}

/**
 * Replaces directory `dir` with a new one filled by `fill(stagingDir)`, after `checkOutDir` (lib/data/out-dir)
 * has said `dir` may receive it — so only an absent or empty directory, or one tsrl wrote, is ever replaced:
 *   1. fill `<dir>.saving`, tsrl's marker first (if `fill` throws, it is removed and `dir` is untouched);
 *   2. rename `dir` → `<dir>.previous`;  3. rename `<dir>.saving` → `dir`;  4. remove `<dir>.previous`.
 * A crash between 2 and 3 leaves no `dir` but a complete `<dir>.previous` (and `<dir>.saving`),
 * so the old version is never lost; loaders point the user at it.
 * Not safe against two processes saving the same directory at once.
 */
export function replaceDirAtomic(dir: string, fill: (stagingDir: string) => void, opts: ReplaceDirOptions = {}): void {
  const { dir: target } = checkOutDir(dir, { overwrite: opts.overwrite ?? true });
  const { staging, previous } = stagingDirs(target);
  removeCheckpointDir(staging); // leftover of an interrupted save (tsrl's: checked)
  makeDirs(path.dirname(target));
  fs.mkdirSync(staging);
  try {
    writeFileAtomic(path.join(staging, CHECKPOINT_MARKER), checkpointMarker(opts.kind ?? "checkpoint"));
    fill(staging);
  } catch (err) {
    try { removeCheckpointDir(staging); } catch { /* fill wrote something not tsrl's: leave it, say why below */ }
    throw err;
  }
  if (fs.existsSync(target)) {
    removeCheckpointDir(previous);
    fs.renameSync(target, previous);
  }
  fs.renameSync(staging, target);
  removeCheckpointDir(previous);
}
