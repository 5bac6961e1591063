import { expect, it } from "vitest";

it("a tensor can be made before initBackend (cpu until then), and survives the switch", async () => {
  const { tf, initBackend } = await import("../lib/index");
  const a = tf.ones([2]);
  await initBackend({ quiet: true });
  expect(Array.from(a.add(1).dataSync())).toEqual([2, 2]);
});

it("initBackend notices a backend switched elsewhere, and backendInfo tells the truth", async () => {
  const { tf, initBackend, backendInfo } = await import("../lib/index");
  await initBackend({ quiet: true });
  const chosen = backendInfo()!.name;
  await tf.setBackend("cpu");
  const again = await initBackend({ quiet: true });
  expect(again.name).toBe(chosen);
  expect(tf.getBackend()).toBe(chosen);
});
