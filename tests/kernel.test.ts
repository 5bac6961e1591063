/**
 * The kernel end to end, driven over ZeroMQ as Jupyter drives it (see kernel-harness.ts):
 * outputs, errors and their tracebacks, aborted queues, displays, cross-cell state, type errors,
 * and interrupts of running cells.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stripAnsi } from "../lib/kernel/traceback";
import { ofType, startTestKernel, streamText, type TestKernel } from "./kernel-harness";

const text = (lines: unknown) => stripAnsi((lines as string[]).join("\n"));

describe("tsrl kernel", () => {
  let kernel: TestKernel;
  let cwd: string;

  beforeAll(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-kernel-cwd-"));
    fs.writeFileSync(path.join(cwd, "helper.ts"), [
      "export function explode(what: string): never {",
      "  const message = `boom: ${what}`;",
      "  throw new RangeError(message);",
      "}",
      "",
    ].join("\n"));
    kernel = await startTestKernel({ cwd });
  });
  afterAll(async () => {
    await kernel?.close();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it("answers kernel_info with the language and protocol", async () => {
    const { reply } = await kernel.request("kernel_info_request", {});
    expect(reply.content).toMatchObject({
      status: "ok",
      protocol_version: "5.3",
      implementation: "tsrl",
      language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
    });
    expect((reply.content.language_info as { version: string }).version).toMatch(/^5\./);
  });

  it("keeps state across cells and lets a cell re-declare a const", async () => {
    await kernel.execute("const answer = 41;\nlet counter = 0;\nfunction bump() { return ++counter; }");
    const again = await kernel.execute("const answer = 42;\nbump(); bump();\nanswer + counter");
    expect(again.reply.content.status).toBe("ok");
    expect(ofType(again.outputs, "execute_result")[0].content).toMatchObject({
      execution_count: again.reply.content.execution_count,
      data: { "text/plain": "44" },
    });
    const types = await kernel.execute("const n: number = answer; counter = n; class Box { constructor(public v = counter) {} }\nnew Box().v");
    expect(ofType(types.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "42" });
  });

  it("reports a runtime error with the cell's own line and source", async () => {
    const { reply, outputs } = await kernel.execute("const a = 1;\nconst oops = (null as any).field;\nconst b = 2;");
    expect(reply.content).toMatchObject({ status: "error", ename: "TypeError" });
    const [error] = ofType(outputs, "error");
    expect(error.content.evalue).toMatch(/reading 'field'/);
    const tb = text(error.content.traceback);
    expect(tb).toContain(`Cell In[${reply.content.execution_count}], line 2`);
    expect(tb).toMatch(/----> 2 const oops = \(null as any\)\.field;/);
  });

  it("maps frames through functions and imported .ts files", async () => {
    const { reply, outputs } = await kernel.execute('import { explode } from "./helper";\n\nfunction go() {\n  explode("x");\n}\ngo();');
    expect(reply.content).toMatchObject({ status: "error", ename: "RangeError", evalue: "boom: x" });
    const tb = text(ofType(outputs, "error")[0].content.traceback);
    expect(tb).toMatch(/line 4, in go\n[\s\S]*----> 4 {3}explode\("x"\);/);
    expect(tb).toMatch(/line 6\n[\s\S]*----> 6 go\(\);/);
    expect(tb).toMatch(/helper\.ts:3, in explode\n[\s\S]*----> 3 {3}throw new RangeError\(message\);/);
  });

  it("reports type errors with the line and a caret, and does not run the cell", async () => {
    const { reply, outputs } = await kernel.execute('globalThis.ran = "no";\nconst s: string = 5;');
    expect(reply.content).toMatchObject({ status: "error", ename: "TSError" });
    const tb = text(ofType(outputs, "error")[0].content.traceback);
    expect(tb).toContain(`Cell In[${reply.content.execution_count}], line 2`);
    expect(tb).toMatch(/----> 2 const s: string = 5;\n {14}\^/);
    expect(tb).toContain("TS2322");
    const check = await kernel.execute("typeof (globalThis as any).ran");
    expect(ofType(check.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "'undefined'" });
  });

  it("answers execute requests queued behind a failing cell with 'aborted'", async () => {
    const failing = await kernel.send("execute_request", { code: "await new Promise((r) => setTimeout(r, 500));\nthrow new Error('first fails');", silent: false, stop_on_error: true });
    const second = await kernel.send("execute_request", { code: "globalThis.secondRan = true;", silent: false, stop_on_error: true });
    const third = await kernel.send("execute_request", { code: "1 + 1", silent: false, stop_on_error: true });
    expect((await kernel.collect(failing)).reply.content.status).toBe("error");
    expect((await kernel.collect(second)).reply.content.status).toBe("aborted");
    expect((await kernel.collect(third)).reply.content.status).toBe("aborted");
    const after = await kernel.execute("(globalThis as any).secondRan === undefined");
    expect(ofType(after.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "true" });
  });

  it("shows tensors, DataFrames, vega-lite specs and plain values", async () => {
    const tensor = await kernel.execute('import * as tf from "@tensorflow/tfjs";\ntf.tensor2d([[1, 2], [3, 4]])');
    const tensorText = ofType(tensor.outputs, "execute_result")[0].content.data as Record<string, string>;
    expect(tensorText["text/plain"]).toMatch(/dtype: float32/);
    expect(tensorText["text/plain"]).toMatch(/shape: \[2,2\]/);
    expect(tensorText["text/plain"]).toMatch(/\[\[1, 2\],\s+\[3, 4\]\]/);

    const df = await kernel.execute('import pl from "nodejs-polars";\npl.DataFrame({ step: [1, 2], reward: [0.5, 1.5] })');
    const dfData = ofType(df.outputs, "execute_result")[0].content.data as Record<string, string>;
    expect(dfData["text/html"]).toMatch(/<table[\s\S]*<th[^>]*>step[\s\S]*<th[^>]*>reward[\s\S]*<td[^>]*>1\.5<\/td>/);
    expect(dfData["text/html"]).toContain("2 rows × 2 columns");
    expect(dfData["text/plain"]).toContain("reward");

    const spec = await kernel.execute('({ $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "line", data: { values: [{ x: 1, y: 2 }] }, encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } })');
    const specData = ofType(spec.outputs, "execute_result")[0].content.data as Record<string, unknown>;
    expect(typeof specData["application/vnd.vegalite.v5+json"]).toBe("object");
    expect((specData["application/vnd.vegalite.v5+json"] as { mark: string }).mark).toBe("line");
    expect(typeof specData["text/plain"]).toBe("string");

    const plain = await kernel.execute('({ a: 1, b: "two" })');
    expect(ofType(plain.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "{ a: 1, b: 'two' }" });
    const promised = await kernel.execute("Promise.resolve(7)");
    expect(ofType(promised.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "7" });
    const nothing = await kernel.execute("undefined");
    expect(ofType(nothing.outputs, "execute_result")).toHaveLength(0);
  });

  it("sends display_data and update_display_data, with vega-lite as a JSON object", async () => {
    const { reply, outputs } = await kernel.execute([
      'const sink = (globalThis as any)[Symbol.for("tsrl.displaySink")];',
      'const chart = { $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "point" };',
      'sink.display({ "application/vnd.vegalite.v5+json": chart, "text/plain": "chart" }, { displayId: "live-1" });',
      'sink.update("live-1", { "application/vnd.vegalite.v5+json": JSON.stringify({ ...chart, mark: "line" }), "text/plain": "chart 2" });',
      "sink.track(new Promise((r) => setTimeout(r, 200)).then(() => console.log('tracked work done')));",
    ].join("\n"));
    expect(reply.content.status).toBe("ok");
    const [shown] = ofType(outputs, "display_data");
    expect(shown.content.transient).toEqual({ display_id: "live-1" });
    expect(shown.content.data).toEqual({ "application/vnd.vegalite.v5+json": { $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "point" }, "text/plain": "chart" });
    const [updated] = ofType(outputs, "update_display_data");
    expect(updated.content.transient).toEqual({ display_id: "live-1" });
    expect((updated.content.data as Record<string, { mark: string }>)["application/vnd.vegalite.v5+json"].mark).toBe("line");
    // tracked work finished before the reply, so its output belongs to this cell
    expect(streamText(outputs)).toContain("tracked work done");
  });

  it("stops an async training loop on SIGINT and keeps the kernel and its state", async () => {
    await kernel.execute("let steps = 0;\nconst before = 'kept';");
    const id = await kernel.send("execute_request", {
      code: [
        'import { checkpoint, resolveSignal } from "tsrl/core/abort";',
        "async function train(signal = resolveSignal()) {",
        "  for (;;) {",
        "    steps++;",
        "    if (steps === 1) console.log('training started');",
        "    await checkpoint(signal);",
        "  }",
        "}",
        "await train();",
      ].join("\n"),
      silent: false,
      stop_on_error: true,
    });
    await kernel.waitForIopub((m) => m.parent_header.msg_id === id && m.header.msg_type === "stream" && String(m.content.text).includes("training started"));
    kernel.signal("SIGINT");
    const { reply, outputs } = await kernel.collect(id);
    expect(reply.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(text(ofType(outputs, "error")[0].content.traceback)).toMatch(/line 6, in train\n[\s\S]*----> 6 {5}await checkpoint\(signal\);/);
    const next = await kernel.execute("[before, steps > 0]");
    expect(ofType(next.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "[ 'kept', true ]" });
  });

  it("interrupts a real REINFORCE run; the agent keeps what it learned", async () => {
    const id = await kernel.send("execute_request", {
      code: [
        'import { createReinforceAgent } from "tsrl";',
        "const agent = await createReinforceAgent({ envId: \"CartPole-v1\", seed: 1, maxEpisodes: 1_000_000 });",
        "await agent.train({ onUpdate: () => { if (agent.metrics.length === 1) console.log('first update'); } });",
      ].join("\n"),
      silent: false,
      stop_on_error: true,
    });
    await kernel.waitForIopub((m) => m.parent_header.msg_id === id && m.header.msg_type === "stream" && String(m.content.text).includes("first update"));
    kernel.signal("SIGINT");
    const { reply } = await kernel.collect(id);
    expect(reply.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    const next = await kernel.execute("agent.metrics.length > 0");
    expect(ofType(next.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "true" });
  });

  it("stops an async loop on interrupt_request (control channel)", async () => {
    const id = await kernel.send("execute_request", {
      code: 'import { checkpoint, ambientSignal } from "tsrl/core/abort";\nlet turns = 0;\nfor (;;) { if (++turns === 1) console.log("loop started"); await checkpoint(ambientSignal()); }',
      silent: false,
      stop_on_error: true,
    });
    await kernel.waitForIopub((m) => m.parent_header.msg_id === id && m.header.msg_type === "stream");
    const interrupt = await kernel.request("interrupt_request", {}, "control");
    expect(interrupt.reply.content.status).toBe("ok");
    const { reply, outputs } = await kernel.collect(id);
    expect(reply.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(text(ofType(outputs, "error")[0].content.traceback)).toMatch(/----> 3 for \(;;\) \{ if \(\+\+turns === 1\)/);
    const next = await kernel.execute("turns > 0");
    expect(ofType(next.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "true" });
  });

  it("breaks a synchronous infinite loop on SIGINT", async () => {
    // The loop blocks the event loop (and so cell output): it announces itself on the process's fd 2.
    const id = await kernel.send("execute_request", {
      code: 'import fs from "node:fs";\n(globalThis as any).spinning = true;\nfs.writeSync(2, "spin-start\\n");\nwhile (true) {}',
      silent: false,
      stop_on_error: true,
    });
    await kernel.waitForProcessOutput("spin-start");
    kernel.signal("SIGINT");
    const { reply } = await kernel.collect(id);
    expect(reply.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    const next = await kernel.execute("(globalThis as any).spinning");
    expect(ofType(next.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "true" });
  });

  it("refuses process.exit, process.abort and process.kill of itself in a cell, and keeps running", async () => {
    await kernel.execute("let alive = 1;");
    const exit = await kernel.execute('function quit() { process.exit(1); }\nconsole.log("before");\nquit();');
    expect(exit.reply.content).toMatchObject({ status: "error", ename: "ProcessExitError", evalue: expect.stringMatching(/^process\.exit\(1\) called in a cell; the kernel keeps running/) });
    expect(text(ofType(exit.outputs, "error")[0].content.traceback)).toMatch(/----> 3 quit\(\);/);
    expect(streamText(exit.outputs)).toBe("before\n");
    for (const [code, what] of [["process.abort()", "process.abort()"], ["process.kill(process.pid)", "process.kill("], ['process.kill(0, "SIGTERM")', "process.kill(0"], ["process.exit()", "process.exit()"]]) {
      const r = await kernel.execute(code);
      expect(r.reply.content, code).toMatchObject({ status: "error", ename: "ProcessExitError" });
      expect(String(r.reply.content.evalue)).toContain(what);
    }
    // in a timer, after the cell was answered: reported on stderr under the cell, the kernel goes on
    const later = await kernel.execute("setTimeout(() => process.exit(3), 10);\nawait new Promise((r) => setTimeout(r, 200));\nprocess.kill(process.pid, 0)");
    expect(streamText(later.outputs, "stderr")).toMatch(/ProcessExitError.*process\.exit\(3\) called in a cell/);
    expect(ofType(later.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "true" }); // signal 0 only asks
    const next = await kernel.execute("alive + 1");
    expect(ofType(next.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "2" });
  });

  it("answers a cell that ignores its interrupt, and what it does later does not hold up the next cell", { timeout: 20_000 }, async () => {
    const id = await kernel.send("execute_request", {
      code: [
        'import { trackWork } from "tsrl";',
        'console.log("ignoring signals");',
        "await new Promise((resolve) => setTimeout(resolve, 2500));",
        "trackWork(new Promise((resolve) => setTimeout(resolve, 60_000)));",
      ].join("\n"),
      silent: false,
      stop_on_error: true,
    });
    await kernel.waitForIopub((m) => m.parent_header.msg_id === id && m.header.msg_type === "stream" && String(m.content.text).includes("ignoring signals"));
    kernel.signal("SIGINT");
    const { reply } = await kernel.collect(id);
    expect(reply.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    // this cell is still running when the abandoned one wakes up and tracks a minute-long promise
    const next = await kernel.execute('await new Promise((resolve) => setTimeout(resolve, 2000));\n"next"');
    expect(ofType(next.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "'next'" });
  });

  it("keeps a cell's bindings off globalThis: a cell may shadow performance while lib's clocks keep the real one", { timeout: 60_000 }, async () => {
    const { reply, outputs } = await kernel.execute([
      'import { createReinforceAgent } from "tsrl";',
      "const performance = { now: () => 0 };",
      "const shadowAgent = await createReinforceAgent({ seed: 1, maxEpisodes: 16, targetReturn: 0, evalThreshold: 0 });",
      "const shadowRun = await shadowAgent.train();",
      "[shadowRun.wallTime > 0, performance.now()]",
    ].join("\n"));
    expect(reply.content.status, text(reply.content.traceback ?? [])).toBe("ok");
    expect(ofType(outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "[ true, 0 ]" });
    const after = await kernel.execute([
      "const realNow = globalThis.performance.now();",
      "[performance.now(), realNow > 0, typeof globalThis.performance.timeOrigin, 'shadowRun' in globalThis, 'performance' in globalThis]",
    ].join("\n"));
    expect(ofType(after.outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "[ 0, true, 'number', false, true ]" });
  });

  it("evaluates user_expressions over the cells' names", async () => {
    const { reply } = await kernel.execute("const ueValue = 41;", { user_expressions: { plus: "ueValue + 1", typo: "ueValu" } });
    const results = reply.content.user_expressions as Record<string, { status: string; data?: unknown; ename?: string }>;
    expect(results.plus).toEqual({ status: "ok", data: { "text/plain": "42" }, metadata: {} });
    expect(results.typo).toMatchObject({ status: "error", ename: "TSError" });
  });

  it("gives tslab's display API to `import * as tslab from \"tslab\"`, typed", async () => {
    const { reply, outputs } = await kernel.execute([
      'import * as tslab from "tslab";',
      'tslab.display.html("<b>bold</b>");',
      'tslab.display.markdown("# title");',
      "tslab.display.svg('<svg xmlns=\"http://www.w3.org/2000/svg\"/>');",
      "tslab.display.png(new Uint8Array([137, 80, 78, 71]));",
      "tslab.display.jpeg(new Uint8Array([255, 216, 255]));",
      'tslab.display.text("plain");',
      'tslab.display.raw("application/json", JSON.stringify({ a: 1 }));',
      "const progress = tslab.newDisplay();",
      'progress.text("step 1");',
      'progress.text("step 2");',
      'progress.html("<i>done</i>");',
      "typeof tslab.versions.typescript",
    ].join("\n"));
    expect(reply.content.status, text(reply.content.traceback ?? [])).toBe("ok");
    const shown = ofType(outputs, "display_data");
    expect(shown.map((m) => m.content.data)).toEqual([
      { "text/html": "<b>bold</b>" },
      { "text/markdown": "# title" },
      { "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg"/>' },
      { "image/png": Buffer.from([137, 80, 78, 71]).toString("base64") },
      { "image/jpeg": Buffer.from([255, 216, 255]).toString("base64") },
      { "text/plain": "plain" },
      { "application/json": { a: 1 } },
      { "text/plain": "step 1" },
    ]);
    const id = (shown[7].content.transient as { display_id: string }).display_id;
    expect(id).toMatch(/\S/);
    expect(shown.slice(0, 7).every((m) => !(m.content.transient as { display_id?: string }).display_id)).toBe(true);
    const updates = ofType(outputs, "update_display_data");
    expect(updates.map((m) => [m.content.data, (m.content.transient as { display_id: string }).display_id]))
      .toEqual([[{ "text/plain": "step 2" }, id], [{ "text/html": "<i>done</i>" }, id]]);
    expect(ofType(outputs, "execute_result")[0].content.data).toEqual({ "text/plain": "'string'" });
    // type-checked against the module: png takes bytes
    const wrong = await kernel.execute('import * as tslab from "tslab";\ntslab.display.png("not bytes");');
    expect(wrong.reply.content).toMatchObject({ status: "error", ename: "TSError" });
  });

  it("stops a cell that an interrupt reached while it was being type-checked, before it runs", { timeout: 30_000 }, async () => {
    // ~2000 lines take a while to check, so the interrupt lands during checking
    const slowToCheck = ["{", ...Array.from({ length: 2000 }, (_, i) => `  const v${i} = [${i}, "${i}"].map((x) => String(x).length);`), "}"].join("\n");
    for (const how of ["SIGINT", "interrupt_request"] as const) {
      const flag = `ranAfterInterrupt_${how}`;
      const id = await kernel.send("execute_request", { code: `(globalThis as any).${flag} = true;\n${slowToCheck}`, silent: false, stop_on_error: true });
      await kernel.waitForOutput(id, (m) => m.header.msg_type === "execute_input");
      if (how === "SIGINT") kernel.signal("SIGINT");
      else await kernel.send("interrupt_request", {}, "control");
      const { reply } = await kernel.collect(id);
      expect(reply.content, how).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
      const after = await kernel.execute(`(globalThis as any).${flag} === undefined`);
      expect(ofType(after.outputs, "execute_result")[0].content.data, `${how}: the interrupted cell ran`).toEqual({ "text/plain": "true" });
    }
  });

  it("answers an async loop that never looks at its signal within ~0.3 s of the interrupt", async () => {
    const id = await kernel.send("execute_request", {
      code: 'console.log("looping");\nwhile (!(globalThis as any).stopLooping) await new Promise((resolve) => setTimeout(resolve, 10));',
      silent: false,
      stop_on_error: true,
    });
    await kernel.waitForOutput(id, (m) => m.header.msg_type === "stream" && String(m.content.text).includes("looping"));
    const sent = performance.now();
    kernel.signal("SIGINT");
    const { reply } = await kernel.collect(id);
    const latency = performance.now() - sent;
    console.log(`interrupt → reply for a loop that ignores its signal: ${latency.toFixed(0)} ms`);
    expect(reply.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(latency).toBeLessThan(1000);
    await kernel.execute("(globalThis as any).stopLooping = true;");
  });

  it("stops a loop given the user's own signal on the kernel's interrupt too (the two are combined)", async () => {
    const id = await kernel.send("execute_request", {
      code: [
        'import { checkpoint, resolveSignal } from "tsrl/core/abort";',
        "const mine = new AbortController();",
        "async function loop(signal?: AbortSignal) {",
        "  const s = resolveSignal(signal);",
        "  for (let i = 0; ; i++) {",
        "    if (i === 0) console.log('own-signal loop');",
        "    await checkpoint(s);",
        "  }",
        "}",
        "await loop(mine.signal);",
      ].join("\n"),
      silent: false,
      stop_on_error: true,
    });
    await kernel.waitForOutput(id, (m) => m.header.msg_type === "stream" && String(m.content.text).includes("own-signal loop"));
    kernel.signal("SIGINT");
    const { reply, outputs } = await kernel.collect(id);
    expect(reply.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    // it stopped itself at its checkpoint (not abandoned)
    expect(text(ofType(outputs, "error")[0].content.traceback)).toMatch(/----> 7 {5}await checkpoint\(s\);/);
  });

  it("sends output printed after the reply under the last cell", async () => {
    const { reply } = await kernel.execute("setTimeout(() => console.log('late output'), 100);");
    expect(reply.content.status).toBe("ok");
    const late = await kernel.waitForIopub((m) => m.header.msg_type === "stream" && String(m.content.text).includes("late output"));
    expect(late.parent_header.msg_id).toBe(reply.parent_header.msg_id);
  });
});
