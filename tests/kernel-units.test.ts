/**
 * The kernel's pure parts, without sockets: wire signing, the REPL transform, the cell checker's
 * cross-cell typing, tracebacks, is_complete, history and value display.
 */
import path from "node:path";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { createChecker } from "../lib/kernel/checker";
import { createHistory, globToRegExp } from "../lib/kernel/history";
import { isComplete } from "../lib/kernel/is-complete";
import { codePointsToUtf16, utf16ToCodePoints } from "../lib/kernel/kernel";
import { compileCell } from "../lib/kernel/repl-transform";
import { normalizeBundle, reprBundle } from "../lib/kernel/repr";
import { installRuntime, makeRuntime } from "../lib/kernel/runtime";
import { diagnosticsContent, errorContent, stripAnsi, type CellRecord } from "../lib/kernel/traceback";
import { decode, encode, makeHeader, WireError } from "../lib/kernel/wire";

const root = path.resolve(__dirname, "..");

describe("wire", () => {
  const key = { key: "secret", signature_scheme: "hmac-sha256" };
  const msg = { identities: [Buffer.from("client")], header: makeHeader("execute_request", "s"), parent_header: {}, metadata: {}, content: { code: "1" } };

  it("round-trips a signed message", () => {
    const frames = encode(key, msg).map((f) => Buffer.from(f));
    const back = decode(key, frames);
    expect(back.identities.map(String)).toEqual(["client"]);
    expect(back.header).toEqual(msg.header);
    expect(back.content).toEqual({ code: "1" });
  });

  it("rejects a message whose signature does not match", () => {
    const frames = encode(key, msg).map((f) => Buffer.from(f));
    frames[frames.length - 1] = Buffer.from(JSON.stringify({ code: "2" }));
    expect(() => decode(key, frames)).toThrow(WireError);
    expect(() => decode({ ...key, key: "other" }, encode(key, msg).map((f) => Buffer.from(f)))).toThrow(/signature/);
  });
});

/** Checks, compiles and runs cells in this realm, as the kernel does. */
function repl() {
  const runtime = makeRuntime(root);
  installRuntime(runtime);
  const checker = createChecker({ cwd: root, packageRoot: root });
  let n = 0;
  const cells = new Map<string, CellRecord>();
  return {
    cells,
    scope: runtime.scope,
    compile(source: string) {
      const checked = checker.check(source);
      expect(checked.diagnostics.map((d) => d.message), source).toEqual([]);
      return compileCell(source, checked.fileName, checked.scopeRefs).code;
    },
    async run(source: string): Promise<unknown> {
      const checked = checker.check(source);
      expect(checked.diagnostics.map((d) => `${d.message} (line ${d.line + 1})`), source).toEqual([]);
      const compiled = compileCell(source, checked.fileName, checked.scopeRefs);
      cells.set(checked.fileName, { fileName: checked.fileName, label: `Cell In[${++n}]`, source, sourceMap: compiled.sourceMap, entryLine: compiled.entryLine });
      checker.commit(checked);
      return await new vm.Script(compiled.code, { filename: checked.fileName }).runInThisContext();
    },
  };
}

describe("REPL transform", () => {
  it("keeps top-level bindings in the kernel's scope, where later cells see them and may re-declare them", async () => {
    const r = repl();
    expect(await r.run("const unitA = 1;\nlet unitB = unitA + 1;\nfunction unitF(x: number) { return x * unitB; }\nunitF(3)")).toBe(6);
    expect(await r.run("const unitA = 10;\nunitB = 5;\nunitA + unitF(1)")).toBe(15);
    expect(await r.run("class UnitC { v = unitA; }\nenum UnitE { X = 7 }\nnew UnitC().v + UnitE.X")).toBe(17);
    expect(await r.run("let { p: unitP, q: [unitQ = 2, ...unitRest] } = { p: 1, q: [undefined, 3, 4] };\n[unitP, unitQ, unitRest]")).toEqual([1, 2, [3, 4]]);
    expect(Object.keys(r.scope).sort()).toEqual(["UnitC", "UnitE", "unitA", "unitB", "unitF", "unitP", "unitQ", "unitRest"].sort());
    expect(r.scope.unitA).toBe(10);
    for (const name of Object.keys(r.scope)) expect(name in globalThis, `${name} leaked onto globalThis`).toBe(false);
  });

  it("lets a cell shadow a global without replacing it for other code", async () => {
    const r = repl();
    const realNow = performance.now;
    expect(await r.run("const performance = { now: () => 0 };\nfunction setTimeout(ms: number) { return `no timer: ${ms}`; }\n[performance.now(), setTimeout(5)]")).toEqual([0, "no timer: 5"]);
    expect(globalThis.performance.now).toBe(realNow);
    expect(globalThis.performance.now()).toBeGreaterThan(0);
    expect(typeof globalThis.setTimeout(() => {}, 0)).toBe("object"); // Node's own timer
    // later cells see the cell's own names; a global the cell did not redeclare stays global
    expect(await r.run("[performance.now(), setTimeout(1), typeof structuredClone]")).toEqual([0, "no timer: 1", "function"]);
    // a local or parameter of the same name is not the cell binding
    expect(await r.run("function local(performance: number) { return performance; }\n{ const performance = 3; [local(2), performance]; }\nlocal(4)")).toBe(4);
  });

  it("gives closures Python-notebook semantics: they see later cells' reassignments", async () => {
    const r = repl();
    await r.run("let unitCount = 1;\nconst unitGet = () => unitCount;\nfunction unitInc() { unitCount++; return unitCount; }");
    expect(await r.run("unitCount = 5;\nunitInc();\n[unitGet(), typeof unitCount, unitCount]")).toEqual([6, "number", 6]);
    expect(await r.run("const unitCount = 40;\nunitGet()")).toBe(40);
  });

  it("hoists functions, keeps a class's own name, builds enums and namespaces, and rewrites shorthand and destructuring", async () => {
    const r = repl();
    expect(await r.run([
      "const early = unitHoisted();",
      "function unitHoisted() { return 'hoisted'; }",
      "class UnitNode { static make() { return new UnitNode(); } kind = 'node'; }",
      "enum UnitDir { Up = 1, Down = Up + 1 }",
      "namespace UnitNs { export const inside = 3; export function twice() { return inside * 2; } }",
      "namespace UnitTypes { export type T = number; }",
      "let unitX = 1, unitY = 2;",
      "[unitX, unitY] = [unitY, unitX];",
      "({ unitX = 9 } = {} as { unitX?: number });",
      "const unitObj = { unitX, unitY };",
      "function unitThis(this: unknown) { return this; }",
      "[early, UnitNode.make().kind, UnitDir.Down, UnitNs.twice(), unitObj, unitThis() === undefined]",
    ].join("\n"))).toEqual(["hoisted", "node", 2, 6, { unitX: 9, unitY: 1 }, true]);
    expect(await r.run("const t: UnitTypes.T = UnitDir.Up;\n[t, UnitNs.inside, new UnitNode() instanceof UnitNode]")).toEqual([1, 3, true]);
  });

  it("awaits top-level await and a returned Promise, and returns nothing for a declaration", async () => {
    const r = repl();
    expect(await r.run("await new Promise((r) => setTimeout(r, 1));\nPromise.resolve(3)")).toBe(3);
    expect(await r.run("const unitNothing = 5;")).toBeUndefined();
    expect(await r.run("enum UnitLast { A }")).toBeUndefined();
  });

  it("binds imports with esModuleInterop semantics, including dynamic import()", async () => {
    const r = repl();
    expect(await r.run('import unitPath, { join as unitJoin } from "node:path";\nimport * as unitNs from "node:path";\n[unitPath.sep, unitJoin("a", "b"), typeof (unitNs as { default?: { join?: unknown } }).default?.join]'))
      .toEqual([path.sep, path.join("a", "b"), "function"]);
    expect(await r.run('const { checkpoint: unitCp } = await import("tsrl/core/abort");\ntypeof unitCp')).toBe("function");
    expect(await r.run("[unitJoin('x', 'y'), typeof unitPath]")).toEqual([path.join("x", "y"), "object"]);
  });

  it("leaves ambient declarations to the globals they describe", async () => {
    const r = repl();
    await r.run("declare function structuredClone<T>(value: T): T;");
    expect(await r.run("structuredClone({ a: [1] })")).toEqual({ a: [1] });
  });

  it("keeps the source map pointing at the cell's lines", async () => {
    const r = repl();
    const error = await r.run("const unitOk = 1;\n\nfunction unitBoom() {\n  throw new Error('deep');\n}\nunitBoom();").catch((e) => e);
    const content = errorContent(error, (f) => r.cells.get(f));
    const tb = stripAnsi(content.traceback.join("\n"));
    expect(content).toMatchObject({ ename: "Error", evalue: "deep" });
    expect(tb).toMatch(/Cell In\[1\], line 6\n[\s\S]*----> 6 unitBoom\(\);/);
    expect(tb).toMatch(/Cell In\[1\], line 4, in unitBoom\n[\s\S]*----> 4 {3}throw new Error\('deep'\);/);
  });
});

describe("tracebacks", () => {
  it("shows the call into a dependency and folds the frames inside it", () => {
    const error = new Error("no backend");
    error.stack = [
      "Error: no backend",
      "    at Engine.get (/nowhere/tfjs-core/src/engine.ts:221:13)",
      "    at Engine.makeTensor (/nowhere/tfjs-core/src/engine.ts:810:5)",
      "    at Object.ones (/nowhere/tfjs-core/src/ops/ones.ts:48:3)",
      "    at async /virtual/__cell_1.ts:1:1",
    ].join("\n");
    const cell: CellRecord = { fileName: "/virtual/__cell_1.ts", label: "Cell In[1]", source: "tf.ones([2])" };
    const tb = stripAnsi(errorContent(error, (f) => (f === cell.fileName ? cell : undefined)).traceback.join("\n"));
    expect(tb).toMatch(/Cell In\[1\], line 1\n----> 1 tf\.ones\(\[2\]\)/);
    expect(tb).toContain("File /nowhere/tfjs-core/src/ops/ones.ts:48, in Object.ones (+2 more inside)");
    expect(tb).not.toContain("engine.ts");
  });

  it("names non-Error throws", () => {
    expect(errorContent("plain string", () => undefined)).toMatchObject({ ename: "Error", evalue: "Uncaught 'plain string'" });
  });
});

describe("cell checker", () => {
  const checker = createChecker({ cwd: path.join(root, "notebooks"), packageRoot: root });
  const run = (source: string) => {
    const result = checker.check(source);
    if (result.diagnostics.length === 0) checker.commit(result);
    return result.diagnostics;
  };

  it("types later cells from earlier ones; lets may be reassigned, consts may not", () => {
    expect(run('let n = 1;\nconst s = "a";\ninterface P { x: number }\nfunction f(p: P) { return p.x; }\nimport { checkpoint } from "tsrl/core/abort";')).toEqual([]);
    expect(run("n = f({ x: 2 });\nconst t: string = s;\nconst c: Promise<void> = checkpoint();")).toEqual([]);
    const [assign] = run('s = "b";');
    expect(assign).toMatchObject({ line: 0, code: 2588 });
    const [wrongType] = run("const m = 1;\nconst bad: string = n;");
    expect(wrongType).toMatchObject({ line: 1, character: 6, code: 2322 });
    expect(run('const n = "now a string";\nconst ok: string = n;')).toEqual([]);
  });

  it("reports type errors with a caret under the cell's text", () => {
    const [d] = checker.check("const a = 1;\nconst b: string = a;").diagnostics;
    const tb = stripAnsi(diagnosticsContent([d], { label: "Cell In[9]", source: "const a = 1;\nconst b: string = a;" }).traceback.join("\n"));
    expect(tb).toContain("Cell In[9], line 2\n");
    expect(tb).toMatch(/----> 2 const b: string = a;\n {14}\^\n/);
    expect(diagnosticsContent([d], { label: "x", source: "" }).ename).toBe("TSError");
  });

  it("reports parse errors alone (no echoing type errors), as a SyntaxError", () => {
    const { diagnostics } = checker.check("const ok = 1;\nconst = 2;");
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.every((d) => d.syntactic && d.line === 1)).toBe(true);
    expect(diagnosticsContent(diagnostics, { label: "x", source: "const ok = 1;\nconst = 2;" }).ename).toBe("SyntaxError");
  });

  it("completes and describes names from earlier cells and libraries", () => {
    expect(checker.complete("Math.flo", 8).matches).toEqual(["floor"]);
    expect(checker.complete("checkp", 6)).toMatchObject({ matches: ["checkpoint"], start: 0, end: 6 });
    expect(checker.quickInfo("f", 1)).toMatch(/function f\(p: P\): number/);
  });

  it("converts Jupyter's code-point cursor to UTF-16 and back", () => {
    const code = "const 𝜃 = 1; 𝜃";
    expect(codePointsToUtf16(code, [...code].length)).toBe(code.length);
    expect(utf16ToCodePoints(code, code.length)).toBe([...code].length);
  });
});

describe("is_complete", () => {
  it.each([
    ["const x = 1;", "complete"],
    ["x?", "complete"],
    ["function f() {", "incomplete"],
    ["const a = `multi", "incomplete"],
    ["/* comment", "incomplete"],
    ["const = ;", "invalid"],
    ["'unterminated", "invalid"],
    [")", "invalid"],
  ])("%j is %s", (code, status) => {
    expect(isComplete(code).status).toBe(status);
  });

  it("indents inside an open block", () => {
    expect(isComplete("if (a) {\n  if (b) {")).toEqual({ status: "incomplete", indent: "    " });
  });
});

describe("history", () => {
  const history = createHistory();
  ["a = 1", "b = 2", "a = 1", "c = 3"].forEach((code, i) => (history.add(i + 1, code).output = String(i)));

  it("answers tail, range and search like IPython", () => {
    expect(history.query({ hist_access_type: "tail", n: 2 })).toEqual([[1, 3, "a = 1"], [1, 4, "c = 3"]]);
    expect(history.query({ hist_access_type: "tail", n: 1, output: true })).toEqual([[1, 4, ["c = 3", "3"]]]);
    expect(history.query({ hist_access_type: "range", session: 0, start: 2, stop: 4 }).map((h) => h[1])).toEqual([2, 3]);
    expect(history.query({ hist_access_type: "search", pattern: "a*" }).map((h) => h[1])).toEqual([1, 3]);
    expect(history.query({ hist_access_type: "search", pattern: "a*", unique: true }).map((h) => h[1])).toEqual([3]);
    expect(history.query({ hist_access_type: "search", pattern: "?*", n: 3 }).map((h) => h[1])).toEqual([2, 3, 4]);
  });

  it("matches glob patterns literally except for * ? and classes", () => {
    expect(globToRegExp("6 * 7").test("6 * 7")).toBe(true);
    expect(globToRegExp("f(x)?").test("f(x)!")).toBe(true);
    expect(globToRegExp("[ab].c").test("b.c")).toBe(true);
    expect(globToRegExp("[ab].c").test("bxc")).toBe(false);
  });
});

describe("value display", () => {
  it("shows tensors by shape, dtype and values", async () => {
    const tensor = { shape: [2], dtype: "float32", dataSync: () => new Float32Array([1, 2]), toString: (verbose?: boolean) => (verbose ? "Tensor\n  dtype: float32\n  shape: [2]\n  values:\n    [1, 2]" : "x") };
    expect(await reprBundle(tensor)).toEqual({ "text/plain": "Tensor\n  dtype: float32\n  shape: [2]\n  values:\n    [1, 2]" });
  });

  it("shows polars DataFrames as an HTML table with escaped cells (lib/data's table)", async () => {
    const pl = (await import("nodejs-polars")).default;
    const df = pl.DataFrame({ name: ["<a>", "b"], n: [1, 2] });
    const bundle = (await reprBundle(df))!;
    expect(bundle["text/html"]).toContain("&lt;a&gt;");
    expect(bundle["text/html"]).toMatch(/<th[^>]*>name/);
    expect(String(bundle["text/plain"])).toContain("<a>");
  });

  it("shows vega-lite specs as lib/viz's chart bundle: the spec as a JSON object, every other type as a string", async () => {
    const spec = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "point", data: { values: [{ x: 1, y: 2 }] },
      encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } };
    const bundle = (await reprBundle(spec))!;
    expect(bundle["application/vnd.vegalite.v5+json"]).toEqual(spec);
    expect(typeof bundle["text/plain"]).toBe("string");
    for (const [mime, data] of Object.entries(bundle)) if (!mime.endsWith("+json")) expect(typeof data, mime).toBe("string");
  });

  it("shows a MIME bundle built by lib/viz as what it is", async () => {
    const { table } = await import("../lib/viz/table");
    const bundle = (await reprBundle(table([{ seed: 1, ret: 500 }])))!;
    expect(Object.keys(bundle).sort()).toEqual(["text/html", "text/plain"]);
    expect(String(bundle["text/html"])).toContain("<table");
  });

  it("sends JSON MIME types as objects and everything else as strings", () => {
    expect(normalizeBundle({ "application/json": '{"a":1}', "application/vnd.vegalite.v5+json": { mark: "bar" }, "image/png": Buffer.from([1, 2]), "text/plain": 5 }))
      .toEqual({ "application/json": { a: 1 }, "application/vnd.vegalite.v5+json": { mark: "bar" }, "image/png": "AQI=", "text/plain": "5" });
    // what the wire carries is saved in the notebook file: nothing but MIME keys
    expect(normalizeBundle({ "text/plain": "x", probs: [1, 2] })).toEqual({ "text/plain": "x" });
  });

  it("shows nothing for undefined and util.inspect for the rest", async () => {
    expect(await reprBundle(undefined)).toBeUndefined();
    expect(await reprBundle({ a: [1, "x"] })).toEqual({ "text/plain": "{ a: [ 1, 'x' ] }" });
  });
});
