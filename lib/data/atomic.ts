/**
 * Crash-safe writes. A training run can be interrupted at any moment (Ctrl-C, kernel restart, OOM);
 * a checkpoint or CSV on disk must then be either the old version or the new one, never half of each.
 * Both helpers rely on rename(2) being atomic within one filesystem.
 */

import * as fs from "node:fs";
import * as path from "node:path";

/** Writes `file` via a fsynced sibling temp file renamed over it; creates parent directories. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
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

/**
 * Replaces directory `dir` with a new one filled by `fill(stagingDir)`:
 *   1. fill `<dir>.saving` (if `fill` throws, it is removed and `dir` is untouched);
 *   2. rename `dir` → `<dir>.previous`;  3. rename `<dir>.saving` → `dir`;  4. remove `<dir>.previous`.
 * A crash between 2 and 3 leaves no `dir` but a complete `<dir>.previous` (and `<dir>.saving`),
 * so the old version is never lost; loaders point the user at it.
 * Not safe against two processes saving the same directory at once.
 */
export function replaceDirAtomic(dir: string, fill: (stagingDir: string) => void): void {
  const target = path.resolve(dir);
  const { staging, previous } = stagingDirs(target);
  fs.rmSync(staging, { recursive: true, force: true }); // leftover of an interrupted save
  fs.mkdirSync(staging, { recursive: true });
  try {
    fill(staging);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  if (fs.existsSync(target)) {
    fs.rmSync(previous, { recursive: true, force: true });
    fs.renameSync(target, previous);
  }
  fs.renameSync(staging, target);
  fs.rmSync(previous, { recursive: true, force: true });
}
