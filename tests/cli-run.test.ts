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
