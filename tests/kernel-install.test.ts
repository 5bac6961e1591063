/**
 * Kernel registration (lib/cli/kernel-install.ts): this checkout's own spec in node_modules/.tsrl/jupyter,
 * put first on JUPYTER_PATH for Jupyter runs; the user-wide registration that a second checkout never
 * silently re-points; `tsrl kernel install`'s flags. The user's Jupyter data dir is a temporary one
 * (JUPYTER_DATA_DIR), so nothing real is touched.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installCommand, jupyterEnv, localJupyterDataDir, suggestedName } from "../lib/cli/kernel-install";

const root = path.resolve(__dirname, "..");
const readSpec = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "kernel.json"), "utf8"));

describe("tsrl kernel install", () => {
  let dataDir: string;
  let scratch: string;
  let saved: string | undefined;
  let out: string[];

  /** Runs the command in-process; returns its exit code and what it printed. */
  const install = async (...args: string[]) => {
    out = [];
    const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
    const error = vi.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")));
    try {
      return await installCommand(args);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  };
  const userSpec = (name = "tsrl") => path.join(dataDir, "kernels", name);
  /** A spec registered by another checkout at `otherRoot` (which exists or not). */
  const registerOther = (otherRoot: string, exists: boolean) => {
    if (exists) {
      fs.mkdirSync(path.join(otherRoot, "lib", "cli"), { recursive: true });
      fs.writeFileSync(path.join(otherRoot, "lib", "cli", "tsrl.cjs"), "");
    }
    fs.mkdirSync(userSpec(), { recursive: true });
    const spec = { argv: [process.execPath, path.join(otherRoot, "lib", "cli", "tsrl.cjs"), "kernel", "--connection-file", "{connection_file}"], display_name: "TypeScript (tsrl)", language: "typescript" };
    fs.writeFileSync(path.join(userSpec(), "kernel.json"), JSON.stringify(spec));
    return spec;
  };

  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-install-"));
    dataDir = path.join(scratch, "jupyter-data");
    saved = process.env.JUPYTER_DATA_DIR;
    process.env.JUPYTER_DATA_DIR = dataDir; // `jupyter --data-dir` and our fallback both honour it
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.JUPYTER_DATA_DIR;
    else process.env.JUPYTER_DATA_DIR = saved;
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("writes this checkout's spec locally and registers it user-wide when the name is free", async () => {
    expect(await install("--postinstall")).toBe(0);
    for (const dir of [path.join(localJupyterDataDir(), "kernels", "tsrl"), userSpec()]) {
      const spec = readSpec(dir);
      expect(spec.argv.slice(1, 3)).toEqual([path.join(root, "lib", "cli", "tsrl.cjs"), "kernel"]);
      expect(spec).toMatchObject({ display_name: "TypeScript (tsrl)", interrupt_mode: "signal", metadata: { tsrl: { packageRoot: root } } });
    }
    expect(localJupyterDataDir()).toBe(path.join(root, "node_modules", ".tsrl", "jupyter"));
  });

  it("leaves a name another existing checkout registered alone, and says how to register this one", async () => {
    const other = path.join(scratch, "other-checkout");
    const theirs = registerOther(other, true);
    expect(await install("--postinstall")).toBe(0); // npm install never fails over this
    expect(readSpec(userSpec())).toEqual(theirs);
    expect(out.join("\n")).toContain(`belongs to the checkout at ${other}`);
    expect(out.join("\n")).toContain(`npx tsrl kernel install --name ${suggestedName()}`);
    expect(out.join("\n")).toContain("npx tsrl kernel install --force");

    expect(await install()).toBe(1); // asked for explicitly: refused, loudly
    expect(readSpec(userSpec())).toEqual(theirs);

    expect(await install("--name", suggestedName())).toBe(0);
    expect(readSpec(userSpec(suggestedName()))).toMatchObject({ display_name: `TypeScript (${suggestedName()})`, metadata: { tsrl: { packageRoot: root } } });
    expect(readSpec(userSpec())).toEqual(theirs);

    expect(await install("--force")).toBe(0);
    expect(readSpec(userSpec()).metadata.tsrl.packageRoot).toBe(root);
    expect(out.join("\n")).toContain(`it ran ${other}`);
  });

  it("re-points a name whose checkout no longer exists", async () => {
    const gone = path.join(scratch, "deleted-checkout");
    registerOther(gone, false);
    expect(await install("--postinstall")).toBe(0);
    expect(readSpec(userSpec()).metadata.tsrl.packageRoot).toBe(root);
    expect(out.join("\n")).toContain("which no longer exists");
  });

  it("installs nothing on --help, a mistyped flag or a bad name", async () => {
    expect(await install("--help")).toBe(0);
    expect(out.join("\n")).toMatch(/usage: tsrl kernel install[\s\S]*--force/);
    expect(await install("--froce")).toBe(2);
    expect(out.join("\n")).toContain("unknown flag --froce (did you mean --force?)");
    expect(await install("--name", "Type Script!")).toBe(2);
    expect(out.join("\n")).toContain('--name "Type Script!"');
    expect(await install("stray")).toBe(2);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it("jupyterEnv() puts this checkout's spec first, so Jupyter's `tsrl` is this checkout's whatever is registered", () => {
    registerOther(path.join(scratch, "other-checkout"), true);
    const env = jupyterEnv({ ...process.env, JUPYTER_PATH: "/somewhere/else" });
    expect(env.JUPYTER_PATH).toBe([localJupyterDataDir(), "/somewhere/else"].join(path.delimiter));
    const listed = JSON.parse(execFileSync("jupyter", ["kernelspec", "list", "--json"], { env, encoding: "utf8" })).kernelspecs;
    expect(listed.tsrl.resource_dir).toBe(path.join(localJupyterDataDir(), "kernels", "tsrl"));
    expect(listed.tsrl.spec.argv[1]).toBe(path.join(root, "lib", "cli", "tsrl.cjs"));
  });
});
