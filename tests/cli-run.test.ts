import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { createRng } from "../lib/core/rng";

const cli = resolve(__dirname, "../lib/cli/tsrl.cjs");

it("tsrl run executes a TypeScript script outside the repo that imports tsrl, with its arguments", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-run-"));
  const script = join(dir, "script.ts");
  writeFileSync(script, `import { createRng } from "tsrl";\nconst seed: number = Number(process.argv[2]);\nconsole.log(createRng(seed).uniform());\n`);
  const out = execFileSync(process.execPath, [cli, "run", script, "42"], { cwd: dir, encoding: "utf8" });
  expect(Number(out.trim())).toBe(createRng(42).uniform());
});

it("a script outside the repo can import tsrl's own dependencies (@tensorflow/tfjs) and shares its instance", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-run-"));
  const script = join(dir, "deps.ts");
  writeFileSync(script, [
    `import * as tf from "@tensorflow/tfjs";`,
    `import { initBackend } from "tsrl";`,
    `initBackend({ quiet: true }).then(() => console.log(JSON.stringify({ version: tf.version.tfjs, backend: tf.getBackend(), sum: tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0] })));`,
  ].join("\n"));
  const out = execFileSync(process.execPath, [cli, "run", script], { cwd: dir, encoding: "utf8" });
  // same instance as the library's: the backend initBackend chose is the one this import sees
  expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ version: "4.22.0", backend: "wasm", sum: 6 });
});

it("a package neither the script's directory nor tsrl has is still reported as missing", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-run-"));
  const script = join(dir, "missing.ts");
  writeFileSync(script, `import "no-such-package-xyz";\n`);
  try {
    execFileSync(process.execPath, [cli, "run", script], { cwd: dir, encoding: "utf8", stdio: "pipe" });
    expect.unreachable();
  } catch (err) {
    expect((err as { stderr: string }).stderr).toContain("Cannot find module 'no-such-package-xyz'");
  }
});

it("tsrl run names a missing script and exits 2", () => {
  try {
    execFileSync(process.execPath, [cli, "run", "/nonexistent/x.ts"], { encoding: "utf8", stdio: "pipe" });
    expect.unreachable();
  } catch (err) {
    const e = err as { status: number; stderr: string };
    expect(e.status).toBe(2);
    expect(e.stderr).toContain("no such file: /nonexistent/x.ts");
  }
});
