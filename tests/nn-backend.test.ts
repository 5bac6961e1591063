import { expect, it } from "vitest";

it("a tensor can be made before initBackend (cpu until then), and survives the switch", async () => {
  const { tf, initBackend } = await import("../lib/index");
  const a = tf.ones([2]);
  await initBackend({ quiet: true });
  expect(Array.from(a.add(1).dataSync())).toEqual([2, 2]);
});

it("initBackend keeps a backend the user switched to, and backendInfo tells the truth; an explicit request switches", async () => {
  const { tf, initBackend, backendInfo } = await import("../lib/index");
  const first = await initBackend({ quiet: true });
  expect(first.reason.length).toBeGreaterThan(10); // says why (which binding was missing, or which loaded)
  await tf.setBackend("cpu");
  const again = await initBackend({ quiet: true });
  expect(again).toEqual({ name: "cpu", reason: "chosen with tf.setBackend", threads: 1 });
  expect(backendInfo()).toEqual(again);
  expect(tf.getBackend()).toBe("cpu");
  const wasm = await initBackend({ quiet: true, backend: "wasm" });
  expect(wasm.name).toBe("wasm");
  expect(tf.getBackend()).toBe("wasm");
});
