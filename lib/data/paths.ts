/**
 * Where things live in the repo, independent of the current directory (a notebook's cwd is
 * notebooks/, the CLI's is wherever the user stands).
 */

import * as fs from "node:fs";
import * as path from "node:path";

let root: string | undefined;

/**
 * The repo/package root: the nearest directory above this file whose package.json is named
 * "tsrl" (this file lives at <root>/lib/data/paths.ts, but searching keeps it right if it moves).
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: unknown }).name === "tsrl") return (root = dir);
      } catch {
        // an unreadable package.json is not ours; keep climbing
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`packageRoot: no package.json named "tsrl" above ${__dirname}`);
    dir = up;
  }
}

/** <root>/figs, or a path inside it: `figsDir("01-returns.png")`. */
export function figsDir(...parts: string[]): string {
  return path.join(packageRoot(), "figs", ...parts);
}

/** <root>/datasets, or a path inside it. */
export function datasetsDir(...parts: string[]): string {
  return path.join(packageRoot(), "datasets", ...parts);
}

/** <root>/runs (checkpoints and metrics of training runs; git-ignored), or a path inside it. */
export function runsDir(...parts: string[]): string {
  return path.join(packageRoot(), "runs", ...parts);
}
