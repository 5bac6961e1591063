/**
 * The committed notebooks as files: no output carries a path of the machine that ran them, and
 * display data has MIME keys only (tests/notebook-scan.ts says why). Reads the files; runs nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { MACHINE_PATH, notebookFileProblems, type ScannedNotebook } from "./notebook-scan";

const dir = path.resolve(__dirname, "..", "notebooks");
const notebooks = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();

describe("the scan itself", () => {
  test("finds machine paths and non-MIME keys, and passes what is neither", () => {
    const nb = (outputs: object[]): ScannedNotebook => ({ cells: [{ cell_type: "code", execution_count: 7, outputs: outputs as never }] });
    expect(notebookFileProblems(nb([{ output_type: "execute_result", data: { "text/plain": "{\n  source: '/work/main/runs/grpo-EditAgent-v0-seed1',\n}" } }])))
      .toEqual([`cell 0 (In [7]) output 0: a path of the machine that ran it, "/work/main/runs/grpo-EditAgent-v0-seed1"`]);
    expect(notebookFileProblems(nb([{ output_type: "stream", name: "stderr", text: ["saved to /tmp/tsrl-06-base-x1/model.safetensors\n"] }]))).toHaveLength(1);
    expect(notebookFileProblems(nb([{ output_type: "error", ename: "Error", evalue: "x", traceback: ["    at f (/home/ana/tsrl/lib/a.ts:3:1)"] }]))).toHaveLength(1);
    expect(notebookFileProblems(nb([{ output_type: "display_data", data: { "image/png": "iVBOR", "text/plain": "<heat map>", probs: "[]" } }])))
      .toEqual([`cell 0 (In [7]) output 0: display data under "probs", not a MIME type`]);
    // relative paths, URLs and words are fine
    expect(notebookFileProblems(nb([{ output_type: "execute_result", data: { "text/plain": "dir: '../runs/tiny-gpt2', see https://example.org/home/x and figs/ written", "text/html": "<b>ok</b>" } }]))).toEqual([]);
    expect(MACHINE_PATH.test("C:\\Users\\ana\\tsrl")).toBe(true);
    expect(MACHINE_PATH.test("dir: '../../../../tmp/tsrl-06-base-OrRPNu'")).toBe(true); // out of the repository
    expect(MACHINE_PATH.test("dir: '../runs/tiny-gpt2'")).toBe(false);
  });
});

describe("committed notebooks carry no machine paths and only MIME keys", () => {
  test.each(notebooks)("%s", (name) => {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as ScannedNotebook;
    expect(notebookFileProblems(nb), `${name}: re-run the notebook once the library prints no such thing`).toEqual([]);
  });
});
