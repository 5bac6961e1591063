/**
 * Registers the kernel with Jupyter, in two places:
 *
 * - **This checkout's own Jupyter data dir**, `node_modules/.tsrl/jupyter` (rewritten by every
 *   `npm install` / `npm ci`, gone with node_modules). `npm start` and the tests run Jupyter with it
 *   first on JUPYTER_PATH (`jupyterEnv()`), so there the kernel named `tsrl` is always this
 *   checkout's, whatever else is installed.
 * - **The user's Jupyter** (`jupyter --data-dir`), so a Jupyter started any other way lists it too.
 *   A name registered there belongs to one checkout. `npm install` writes it only when nobody else
 *   holds it (no spec yet, the spec already runs this checkout, or the checkout it runs is gone);
 *   otherwise it says which checkout owns it and how to register this one under another name
 *   (`--name`) or take it over (`--force`). A second checkout never silently re-points the first's.
 *
 * A spec's argv holds absolute paths (this node binary, this checkout's tsrl.cjs), so it works with
 * JupyterLab from pip or Jupyter from Debian alike, with no PATH changes and no build.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseCommand, type CommandSpec } from "./args";

export const KERNEL_NAME = "tsrl";
const packageRoot = path.resolve(__dirname, "..", "..");
const entryScript = (root: string) => path.join(root, "lib", "cli", "tsrl.cjs");

export const HOW_TO_GET_JUPYTER = [
  "Jupyter is not installed. Either:",
  "  pip install jupyterlab",
  "or (Debian/Ubuntu):",
  "  sudo apt-get install jupyter-notebook jupyter-client jupyter-nbconvert",
  "then run `npm start` (or `node lib/cli/tsrl.cjs lab`).",
].join("\n");

export function kernelSpec(name = KERNEL_NAME): Record<string, unknown> {
  return {
    argv: [process.execPath, entryScript(packageRoot), "kernel", "--connection-file", "{connection_file}"],
    display_name: `TypeScript (${name})`,
    language: "typescript",
    interrupt_mode: "signal",
    env: {},
    metadata: { tsrl: { packageRoot } },
  };
}

/** This checkout's own Jupyter data dir (holds `kernels/tsrl`). */
export function localJupyterDataDir(): string {
  return path.join(packageRoot, "node_modules", ".tsrl", "jupyter");
}

/**
 * The environment to run Jupyter with so that kernel `tsrl` is this checkout's: `base` with
 * localJupyterDataDir() first on JUPYTER_PATH (the spec there is (re)written, so this works even if
 * npm's postinstall did not run).
 */
export function jupyterEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const local = localJupyterDataDir();
  writeKernelSpec(local);
  const rest = (base.JUPYTER_PATH ?? "").split(path.delimiter).filter((p) => p && path.resolve(p) !== local);
  return { ...base, JUPYTER_PATH: [local, ...rest].join(path.delimiter) };
}

/** `jupyter --data-dir`, or undefined when Jupyter is not installed. */
export function jupyterDataDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const run = spawnSync("jupyter", ["--data-dir"], { encoding: "utf8", timeout: 30_000, env });
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

/** Writes the kernel spec into `<dataDir>/kernels/<name>`; returns that directory. */
export function writeKernelSpec(dataDir: string, name = KERNEL_NAME): string {
  const dir = path.join(dataDir, "kernels", name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(name), null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "logo-svg.svg"), LOGO_SVG);
  return dir;
}

/** Who holds a registered spec dir. */
export type SpecOwner =
  | { kind: "none" }
  | { kind: "this" }
  /** a tsrl checkout; `exists` false when its tsrl.cjs is gone (moved or deleted) */
  | { kind: "checkout"; root: string; exists: boolean }
  /** a kernel.json that is not tsrl's, or cannot be read */
  | { kind: "other"; argv: string };

export function specOwner(specDir: string): SpecOwner {
  const file = path.join(specDir, "kernel.json");
  if (!fs.existsSync(file)) return { kind: "none" };
  let spec: { argv?: unknown; metadata?: { tsrl?: { packageRoot?: unknown } } };
  try {
    spec = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return { kind: "other", argv: `(unreadable ${file})` };
  }
  const argv = Array.isArray(spec.argv) ? spec.argv.map(String) : [];
  const script = argv.find((a) => a.replace(/\\/g, "/").endsWith("lib/cli/tsrl.cjs"));
  const declared = spec.metadata?.tsrl?.packageRoot;
  const root = typeof declared === "string" ? declared : script ? path.resolve(script, "..", "..", "..") : undefined;
  if (!root) return { kind: "other", argv: argv.join(" ") };
  if (sameDir(root, packageRoot)) return { kind: "this" };
  return { kind: "checkout", root, exists: fs.existsSync(entryScript(root)) };
}

function sameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/** A kernel name for this checkout that does not collide: "tsrl-<folder name>". */
export function suggestedName(): string {
  const slug = path.basename(packageRoot).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
  return slug && slug !== KERNEL_NAME ? `${KERNEL_NAME}-${slug}` : `${KERNEL_NAME}-2`;
}

const INSTALL_SPEC: CommandSpec = {
  usage: "tsrl kernel install [--name NAME] [--prefix DIR | --sys-prefix] [--force]",
  positionals: [],
  flags: [
    { name: "name", type: "string", help: "the kernel's name in Jupyter (what notebooks' metadata ask for)", default: KERNEL_NAME },
    { name: "user", type: "boolean", help: "register in your own Jupyter data dir (`jupyter --data-dir`); the default" },
    { name: "prefix", type: "string", help: "register in DIR/share/jupyter instead (e.g. a virtualenv's prefix)" },
    { name: "sys-prefix", type: "boolean", help: "register in Node's prefix, <prefix>/share/jupyter" },
    { name: "force", type: "boolean", help: "take the name over even if another checkout registered it" },
    { name: "postinstall", type: "boolean", help: "what `npm install` runs: never fails, never takes a name another checkout holds" },
  ],
};

const SUMMARY = [
  "Writes this checkout's kernel spec into node_modules/.tsrl/jupyter (used by `npm start` and the tests),",
  "then registers it in your Jupyter under NAME, unless another checkout already holds NAME (see --force).",
].join("\n");

/** Jupyter's rule for kernel names (jupyter_client). */
const KERNEL_NAME_PATTERN = /^[a-z0-9._-]+$/i;

export async function installCommand(args: string[]): Promise<number> {
  const parsed = parseCommand("kernel install", args, INSTALL_SPEC, SUMMARY);
  if (typeof parsed === "number") return parsed;
  const flags = parsed.flags as { name?: string; prefix?: string; "sys-prefix"?: boolean; force?: boolean; postinstall?: boolean };
  const name = flags.name ?? KERNEL_NAME;
  if (!KERNEL_NAME_PATTERN.test(name)) {
    console.error(`tsrl kernel install: --name ${JSON.stringify(name)}: expected letters, digits, '.', '_' or '-' (Jupyter's rule for kernel names)`);
    return 2;
  }
  if (flags.prefix !== undefined && flags["sys-prefix"]) {
    console.error("tsrl kernel install: --prefix and --sys-prefix name two places; give one");
    return 2;
  }
  const postinstall = flags.postinstall ?? false;
  try {
    writeKernelSpec(localJupyterDataDir());
    const jupyterDir = jupyterDataDir();
    const dataDir = flags.prefix !== undefined ? path.join(path.resolve(flags.prefix), "share", "jupyter")
      : flags["sys-prefix"] ? path.join(path.dirname(path.dirname(process.execPath)), "share", "jupyter")
      : jupyterDir ?? defaultDataDir();
    const target = path.join(dataDir, "kernels", name);
    const owner = specOwner(target);
    const held = owner.kind === "other" || (owner.kind === "checkout" && owner.exists);
    if (held && !flags.force) {
      const who = owner.kind === "checkout" ? `the checkout at ${owner.root}` : `another kernel (${owner.argv})`;
      const other = name === KERNEL_NAME ? suggestedName() : `${name}-2`;
      const line = `tsrl: Jupyter kernel "${name}" in ${dataDir} belongs to ${who}, so it was left alone ` +
        `(npm start and npm test here use this checkout's own). To register this checkout too: ` +
        `npx tsrl kernel install --name ${other}; to take "${name}" over: npx tsrl kernel install --force`;
      if (postinstall) {
        console.log(line);
        return 0;
      }
      console.error(line);
      return 1;
    }
    const dir = writeKernelSpec(dataDir, name);
    const replaced = owner.kind === "checkout" ? ` (it ran ${owner.root}${owner.exists ? "" : ", which no longer exists"})`
      : owner.kind === "other" ? ` (it ran ${owner.argv})` : "";
    console.log(`tsrl: registered the Jupyter kernel "TypeScript (${name})" for ${packageRoot} in ${dir}${replaced}`);
    if (!jupyterDir) console.log(HOW_TO_GET_JUPYTER);
    return 0;
  } catch (err) {
    console.error(`tsrl: could not install the Jupyter kernel: ${(err as Error).message}`);
    return postinstall ? 0 : 1;
  }
}
