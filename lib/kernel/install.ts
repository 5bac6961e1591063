/**
 * Registers the kernel with Jupyter by writing `kernels/tsrl/kernel.json` straight into Jupyter's
 * data directory. The argv holds absolute paths (this node binary, this checkout's tsrl.cjs), so it
 * works with JupyterLab from pip or Jupyter from Debian alike, with no PATH changes and no build.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const KERNEL_NAME = "tsrl";
const packageRoot = path.resolve(__dirname, "..", "..");

export const HOW_TO_GET_JUPYTER = [
  "Jupyter is not installed. Either:",
  "  pip install jupyterlab",
  "or (Debian/Ubuntu):",
  "  sudo apt-get install jupyter-notebook jupyter-client jupyter-nbconvert",
  "then run `npm start` (or `node lib/cli/tsrl.cjs lab`).",
].join("\n");

export function kernelSpec(): Record<string, unknown> {
  return {
    argv: [process.execPath, path.join(packageRoot, "lib", "cli", "tsrl.cjs"), "kernel", "--connection-file", "{connection_file}"],
    display_name: "TypeScript (tsrl)",
    language: "typescript",
    interrupt_mode: "signal",
    env: {},
    metadata: { tsrl: { packageRoot } },
  };
}

/** `jupyter --data-dir`, or undefined when Jupyter is not installed. */
export function jupyterDataDir(): string | undefined {
  const run = spawnSync("jupyter", ["--data-dir"], { encoding: "utf8", timeout: 30_000 });
  if (run.error || run.status !== 0) return undefined;
  return run.stdout.trim() || undefined;
}

/** Where Jupyter looks for user data when we cannot ask it (its own defaults). */
export function defaultDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return path.join(process.env.APPDATA ?? os.homedir(), "jupyter");
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), ".local", "share"), "jupyter");
}

const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<rect width="64" height="64" rx="8" fill="#3178c6"/>
<text x="32" y="42" font-family="sans-serif" font-size="24" font-weight="bold" fill="#fff" text-anchor="middle">RL</text>
</svg>
`;

/** Writes the kernel spec into `<dataDir>/kernels/tsrl`; returns that directory. */
export function writeKernelSpec(dataDir: string): string {
  const dir = path.join(dataDir, "kernels", KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(), null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "logo-svg.svg"), LOGO_SVG);
  return dir;
}

export async function installCommand(args: string[]): Promise<number> {
  const ifJupyter = args.includes("--if-jupyter"); // called from npm's postinstall: never fail
  try {
    const prefixAt = args.indexOf("--prefix");
    const jupyterDir = jupyterDataDir();
    let dataDir: string;
    if (prefixAt >= 0 && args[prefixAt + 1]) dataDir = path.join(path.resolve(args[prefixAt + 1]), "share", "jupyter");
    else if (args.includes("--sys-prefix")) dataDir = path.join(path.dirname(path.dirname(process.execPath)), "share", "jupyter");
    else dataDir = jupyterDir ?? defaultDataDir();
    const dir = writeKernelSpec(dataDir);
    console.log(`tsrl: installed the Jupyter kernel "TypeScript (tsrl)" in ${dir}`);
    if (!jupyterDir) console.log(HOW_TO_GET_JUPYTER);
    return 0;
  } catch (err) {
    console.error(`tsrl: could not install the Jupyter kernel: ${(err as Error).message}`);
    return ifJupyter ? 0 : 1;
  }
}
