/**
 * Executes every notebook headless through this checkout's "tsrl" kernel (nbconvert, as a reader's
 * Jupyter would; this checkout's kernel spec first on JUPYTER_PATH, so not whatever "tsrl" the user's
 * Jupyter has registered), with TSRL_QUICK=1, into a temporary copy — the committed notebooks are
 * untouched. Fails on any error output; checks that plots arrive as real vega-lite v5 bundles (JSON
 * objects) with a PNG fallback (shown untrusted, on GitHub and in nbconvert's HTML, which strips SVG)
 * and no SVG.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { jupyterEnv, localJupyterDataDir } from "../lib/cli/kernel-install";
import { runProcess } from "./run-process";

const root = resolve(__dirname, "..");
const notebooksDir = join(root, "notebooks");
const notebooks = readdirSync(notebooksDir).filter((f) => f.endsWith(".ipynb")).sort();
const env = jupyterEnv();
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Output { output_type: string; data?: Record<string, unknown>; ename?: string; evalue?: string; traceback?: string[]; name?: string; text?: string | string[] }
interface Cell { cell_type: string; source: string | string[]; outputs?: Output[] }

function jupyterAvailable(): boolean {
  try {
    execFileSync("jupyter", ["nbconvert", "--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("notebooks execute headless on the tsrl kernel", () => {
  it("has Jupyter with nbconvert (CI installs Debian's jupyter-notebook python3-nbconvert)", () => {
    expect(jupyterAvailable(), "jupyter nbconvert not found: sudo apt-get install jupyter-notebook python3-nbconvert python3-nbclient").toBe(true);
    const specs = JSON.parse(execFileSync("jupyter", ["kernelspec", "list", "--json"], { env, encoding: "utf8" })).kernelspecs;
    expect(specs.tsrl?.resource_dir, "the notebooks must run on this checkout's kernel").toBe(join(localJupyterDataDir(), "kernels", "tsrl"));
  });

  it.each(notebooks)("%s", async (name) => {
    const outDir = mkdtempSync(join(tmpdir(), "tsrl-nb-"));
    const run = await runProcess(
      "jupyter",
      ["nbconvert", "--to", "notebook", "--execute", join(notebooksDir, name), "--output-dir", outDir,
        "--ExecutePreprocessor.kernel_name=tsrl", "--ExecutePreprocessor.timeout=900"],
      { env: { ...env, TSRL_QUICK: "1", PYDEVD_DISABLE_FILE_VALIDATION: "1" } },
    );
    if (run.status !== 0) throw new Error(`${name} failed to execute:\n${run.stderr.slice(-4000)}`);
    const nb = JSON.parse(readFileSync(join(outDir, name), "utf8")) as { cells: Cell[] };
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    const errors = outputs.filter((o) => o.output_type === "error");
    expect(errors.map((e) => `${e.ename}: ${e.evalue}`)).toEqual([]);
    const stderr = outputs.filter((o) => o.output_type === "stream" && o.name === "stderr").map((o) => [o.text].flat().join(""));
    expect(stderr.filter((t) => /Error|Traceback/.test(t))).toEqual([]);
    // every code cell ran
    for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
      expect((cell as unknown as { execution_count: number | null }).execution_count).not.toBeNull();
    }
    const charts = outputs.filter((o) => o.data && "application/vnd.vegalite.v5+json" in o.data);
    expect(charts.length, `${name} shows no vega-lite chart`).toBeGreaterThan(0);
    for (const chart of charts) {
      const spec = chart.data!["application/vnd.vegalite.v5+json"] as Record<string, unknown>;
      expect(typeof spec, "vega-lite bundle must be a JSON object, not a string").toBe("object");
      expect(String(spec.$schema)).toMatch(/vega-lite\/v5/);
      const png = chart.data!["image/png"];
      expect(typeof png, "chart without a PNG fallback").toBe("string");
      expect(Buffer.from([png as string].flat().join(""), "base64").subarray(0, 8).equals(PNG_SIGNATURE), "image/png is not a PNG").toBe(true);
      expect(chart.data, "charts carry no SVG (nbconvert's HTML strips it)").not.toHaveProperty(["image/svg+xml"]);
    }
  });
});
