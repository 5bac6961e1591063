/**
 * `tsrl run script.ts [args…]` — runs a TypeScript script with the package's loader, so it can
 * `import … from "tsrl"` from anywhere and edits to lib/ need no build. The script sees its own
 * arguments in process.argv.slice(2), as under `node script.js`.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export async function runCommand(args: string[]): Promise<number> {
  const [file, ...rest] = args;
  if (!file || file === "--help" || file === "-h") {
    console.error("usage: tsrl run <script.ts> [args…]");
    return file ? 0 : 2;
  }
  const path = resolve(file);
  if (!existsSync(path)) {
    console.error(`tsrl run: no such file: ${path}`);
    return 2;
  }
  process.argv = [process.argv[0], path, ...rest];
  require(path);
  return 0;
}
