/**
 * What kills or freezes the kernel's process, and what the notebook is told (lib/kernel/supervisor):
 * a heap out-of-memory (the kernel runs with a small --max-old-space-size), synchronous code that
 * holds the thread in a setTimeout callback past an interrupt, and a SIGKILL from outside (what the
 * system's out-of-memory killer sends). Each reaches the front end as an error
 * on IOPub for the cell concerned (and an execute_reply when that cell was still running), then the
 * kernel's process exits non-zero so Jupyter restarts it. A top-level loop stays interruptible and
 * keeps the kernel, even with the supervisor's short grace used here.
 */
import { afterEach, describe, expect, it } from "vitest";
import { stripAnsi } from "../lib/kernel/traceback";
import { startTestKernel, type TestKernel } from "./kernel-harness";
import type { Message } from "../lib/kernel/wire";

const text = (lines: unknown) => stripAnsi((lines as string[]).join("\n"));
const isError = (m: Message) => m.header.msg_type === "error";

let kernel: TestKernel | undefined;
afterEach(async () => {
  await kernel?.close();
  kernel = undefined;
});

function exitOf(k: TestKernel): Promise<number | null> {
  return new Promise((resolve) => (k.process.exitCode !== null ? resolve(k.process.exitCode) : k.process.once("exit", (code) => resolve(code))));
}

describe("tsrl kernel: fatal errors", () => {
  it("a heap out-of-memory: the running cell gets an error saying so, and a reply; the process exits 1", { timeout: 120_000 }, async () => {
    kernel = await startTestKernel({ env: { NODE_OPTIONS: "--max-old-space-size=192" } });
    const exited = exitOf(kernel);
    const id = await kernel.send("execute_request", {
      code: "const keep: number[][] = [];\nwhile (true) keep.push(new Array(1e5).fill(1.5));",
      silent: false,
      stop_on_error: true,
    });
    const { reply, outputs } = await kernel.collect(id);
    expect(reply.content).toMatchObject({ status: "error", ename: "KernelOutOfMemory", evalue: expect.stringMatching(/^the kernel ran out of memory: JavaScript heap out of memory \(its limit is \d+ MB\)/) });
    const error = outputs.find(isError)!;
    expect(error.content.ename).toBe("KernelOutOfMemory");
    expect(text(error.content.traceback)).toMatch(/dispose of tensors[\s\S]*--max-old-space-size[\s\S]*Jupyter restarts the kernel/);
    expect(await exited).toBe(1);
    expect(kernel.stderr()).toContain("JavaScript heap out of memory"); // V8's own message, passed through to Jupyter's log
  });

  it("an endless loop in a setTimeout callback: an interrupt stops the kernel after the grace period, with the reason", { timeout: 120_000 }, async () => {
    kernel = await startTestKernel({ env: { TSRL_KERNEL_INTERRUPT_GRACE_MS: "1500" } });
    // a loop at the cell's top level stays interruptible, and the kernel keeps running
    const spin = await kernel.send("execute_request", { code: 'import fs from "node:fs";\nfs.writeSync(2, "spin-start\\n");\nwhile (true) {}', silent: false, stop_on_error: true });
    await kernel.waitForProcessOutput("spin-start");
    kernel.signal("SIGINT");
    expect((await kernel.collect(spin)).reply.content).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past the grace: the supervisor got its answer, nothing is stopped
    expect((await kernel.execute("1 + 1")).reply.content.status).toBe("ok");

    // the cell returns; its timer then holds the thread for good
    const exited = exitOf(kernel);
    const culprit = await kernel.execute('import fs from "node:fs";\nsetTimeout(() => { fs.writeSync(2, "timer-spin\\n"); while (true) {} }, 50);\n"scheduled"');
    expect(culprit.reply.content.status).toBe("ok");
    await kernel.waitForProcessOutput("timer-spin");
    await kernel.send("execute_request", { code: '"never runs"', silent: false, stop_on_error: true }); // queued behind the stuck thread
    await new Promise((resolve) => setTimeout(resolve, 300));
    kernel.signal("SIGINT");
    const error = await kernel.waitForOutput(culprit.reply.parent_header.msg_id!, isError);
    expect(error.content).toMatchObject({ ename: "KernelStopped", evalue: "the kernel did not answer the interrupt within 1.5 s, so it was stopped" });
    expect(text(error.content.traceback)).toMatch(/endless loop inside\s+a setTimeout callback/);
    expect(await exited).toBe(1);
    expect(kernel.stderr()).toMatch(/did not answer the interrupt within 1500 ms; stopping it/);
  });

  it("a kill from outside (as the system's out-of-memory killer does): the running cell is told, and the process exits 1", { timeout: 120_000 }, async () => {
    kernel = await startTestKernel();
    const exited = exitOf(kernel);
    const id = await kernel.send("execute_request", { code: 'import fs from "node:fs";\nfs.writeSync(2, `pid=${process.pid}\\n`);\nawait new Promise(() => {});', silent: false, stop_on_error: true });
    await kernel.waitForProcessOutput("pid=");
    const pid = Number(/pid=(\d+)/.exec(kernel.stderr())![1]);
    expect(pid).not.toBe(kernel.process.pid); // the kernel runs in the supervisor's child
    process.kill(pid, "SIGKILL");
    const { reply } = await kernel.collect(id);
    expect(reply.content).toMatchObject({ status: "error", ename: "KernelDied", evalue: expect.stringMatching(/^the kernel process was killed by SIGKILL \(the system's out-of-memory killer/) });
    expect(await exited).toBe(1);
  });
});
