/**
 * Charts rendered in a separate process, so rendering does not slow the training loop that feeds a
 * live chart.
 *
 * Why a process and not this thread or a worker thread: measured here, once vega has rendered one
 * chart anywhere in a process — on the main thread or in a worker thread — LunarLander's physics
 * (planck) in that process runs about 2× slower for the rest of its life (47k → 24k steps/s; a
 * notebook's 1M-step PPO run took 189 s against 104 s from the command line). A vega render in a
 * child process leaves the parent at full speed, and takes the second core as a bonus.
 *
 * One child, started on first use and reused; it does not keep a script alive (unref'd while idle).
 * If it cannot start or dies, rendering falls back to this process (correct, just slower).
 */
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { renderPng, type PngOptions, type RenderOptions } from "./render";
import type { VegaLiteSpec } from "./spec";

interface Pending {
  resolve(png: Buffer): void;
  reject(err: Error): void;
}

let child: ChildProcess | undefined;
let failed = false;
let nextId = 0;
const pending = new Map<number, Pending>();

function start(): ChildProcess | undefined {
  if (child || failed) return child;
  try {
    const c = fork(path.join(__dirname, "render-process.cjs"), [], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "advanced", // Buffers travel as bytes
      execArgv: [],
    });
    c.on("message", (msg: { id: number; png?: Uint8Array; error?: string }) => {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(Buffer.from(msg.png!));
      if (pending.size === 0) idle(c);
    });
    c.on("exit", () => {
      if (child === c) child = undefined;
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(new Error("the chart renderer process exited"));
      }
    });
    c.on("error", () => {
      failed = true;
      if (child === c) child = undefined;
    });
    child = c;
    idle(c);
    return c;
  } catch {
    failed = true;
    return undefined;
  }
}

/** While nothing is pending, the child and its channel do not keep this process alive. */
function idle(c: ChildProcess): void {
  c.unref();
  (c.channel as { unref?(): void } | undefined)?.unref?.();
}

function busy(c: ChildProcess): void {
  c.ref();
  (c.channel as { ref?(): void } | undefined)?.ref?.();
}

/**
 * A vega-lite spec as PNG bytes, rendered in the renderer process (see the module comment); in
 * this process when that process is unavailable or `TSRL_RENDER=inline`.
 */
export async function renderPngIsolated(spec: VegaLiteSpec, opts: PngOptions & RenderOptions = {}): Promise<Buffer> {
  const c = process.env.TSRL_RENDER === "inline" || opts.warnings ? undefined : start();
  if (!c) return renderPng(spec, opts);
  const id = nextId++;
  busy(c);
  const { warnings: _w, ...sendable } = opts;
  void _w;
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      c.send({ id, spec, opts: sendable }, (err) => {
        if (!err) return;
        pending.delete(id);
        reject(err);
      });
    });
  } catch (err) {
    if ((err as Error).message === "the chart renderer process exited" || (err as NodeJS.ErrnoException).code === "ERR_IPC_CHANNEL_CLOSED") {
      return renderPng(spec, opts); // the renderer died: draw this one here
    }
    throw err;
  }
}
