/**
 * The kernel against Jupyter's own Python tooling: the jupyter_kernel_test protocol suite
 * (tests/python/test_tsrl_kernel.py, every check enabled) and a notebook executed headless by
 * nbconvert. Jupyter runs with this checkout's own kernel spec first on JUPYTER_PATH (jupyterEnv()),
 * so the tests use this checkout's kernel whatever the user's Jupyter has registered as "tsrl".
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { jupyterEnv, localJupyterDataDir } from "../lib/cli/kernel-install";
import { runProcess } from "./run-process";

const root = path.resolve(__dirname, "..");
const python = "/usr/bin/python3";
const hasPython = (module: string) => spawnSync(python, ["-c", `import ${module}`]).status === 0;

describe("tsrl kernel with Jupyter's tools", () => {
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    env = { ...jupyterEnv(), PYTHONDONTWRITEBYTECODE: "1" };
  });

  it("runs Jupyter with this checkout's kernel spec", () => {
    const listed = JSON.parse(spawnSync("jupyter", ["kernelspec", "list", "--json"], { env, encoding: "utf8" }).stdout).kernelspecs;
    expect(listed.tsrl.resource_dir).toBe(path.join(localJupyterDataDir(), "kernels", "tsrl"));
    expect(listed.tsrl.spec.argv[1]).toBe(path.join(root, "lib", "cli", "tsrl.cjs"));
  });

  // Not skipped when the tools are missing: CI installs them (.ci/run), and a missing install must fail loudly.
  it("passes every jupyter_kernel_test check, none skipped", async () => {
    expect(hasPython("jupyter_kernel_test"), "install Debian's python3-jupyter-kernel-test").toBe(true);
    const run = await runProcess(python, ["-m", "unittest", "-v", "tests/python/test_tsrl_kernel.py"], { cwd: root, env, timeout: 300_000 });
    const report = run.stdout + run.stderr;
    expect(report, report).toMatch(/\nOK\s*$/);
    expect(report).not.toMatch(/skipped/);
    for (const check of ["kernel_info", "execute_stdout", "execute_stderr", "completion", "is_complete", "pager", "error", "execute_result", "display_data", "history", "inspect", "clear_output"]) {
      expect(report).toMatch(new RegExp(`test_${check} .* \\.\\.\\. ok`));
    }
    expect(run.status).toBe(0);
  });

  it("executes a notebook headless with nbconvert", async () => {
    expect(hasPython("nbclient"), "install Debian's python3-nbclient python3-nbconvert").toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-nb-"));
    const cell = (source: string) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source });
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "tsrl", display_name: "TypeScript (tsrl)", language: "typescript" } },
      cells: [
        { cell_type: "markdown", metadata: {}, source: "# smoke test" },
        cell('import { checkpoint, resolveSignal } from "tsrl/core/abort";\nimport * as tf from "@tensorflow/tfjs";\nconst t = tf.tensor([1, 2, 3]);\nt.sum()'),
        cell("let steps = 0;\nfor (let i = 0; i < 100; i++) { steps++; await checkpoint(resolveSignal()); }\nsteps"),
        cell('({ $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "bar",\n  data: { values: [{ a: "x", b: 1 }, { a: "y", b: 2 }] },\n  encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } } })'),
        cell('console.log("shape", t.shape)'),
      ],
    };
    fs.writeFileSync(path.join(dir, "smoke.ipynb"), JSON.stringify(notebook));
    const run = await runProcess("jupyter", ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tsrl", "--ExecutePreprocessor.timeout=120", "smoke.ipynb", "--output-dir", path.join(dir, "out")], { cwd: dir, env, timeout: 300_000 });
    expect(run.status, run.stderr).toBe(0);
    const executed = JSON.parse(fs.readFileSync(path.join(dir, "out", "smoke.ipynb"), "utf8"));
    const outputs = executed.cells.filter((c: { cell_type: string }) => c.cell_type === "code").map((c: { outputs: unknown[] }) => c.outputs);
    const result = (i: number) => outputs[i].find((o: { output_type: string }) => o.output_type === "execute_result");
    const joined = (text: string | string[]) => (Array.isArray(text) ? text.join("") : text); // nbformat splits lines
    expect(joined(result(0).data["text/plain"])).toMatch(/shape: \[\]\s+values:\s+6/);
    expect(joined(result(1).data["text/plain"])).toBe("100");
    expect(result(2).data["application/vnd.vegalite.v5+json"].mark).toBe("bar");
    const stream = outputs[3].find((o: { output_type: string }) => o.output_type === "stream");
    expect(joined(stream.text)).toBe("shape [ 3 ]\n");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
