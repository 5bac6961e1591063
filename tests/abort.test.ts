import { afterEach, expect, it } from "vitest";
import { AbortError, checkpoint, isAbortError, resolveSignal, setAmbientSignalProvider } from "../lib/core/abort";

afterEach(() => setAmbientSignalProvider(undefined));

it("checkpoint() honours the ambient signal the kernel or CLI installed", async () => {
  const controller = new AbortController();
  setAmbientSignalProvider(() => controller.signal);
  await expect(checkpoint()).resolves.toBeUndefined();
  controller.abort();
  const err = await checkpoint().catch((e) => e);
  expect(err).toBeInstanceOf(AbortError);
  expect(isAbortError(err)).toBe(true);
});

it("resolveSignal combines the caller's signal with the ambient one: either aborts it", async () => {
  const ambient = new AbortController(), mine = new AbortController();
  setAmbientSignalProvider(() => ambient.signal);
  const both = resolveSignal(mine.signal)!;
  expect(both.aborted).toBe(false);
  ambient.abort(new AbortError("kernel interrupt"));
  expect(both.aborted).toBe(true);
  await expect(checkpoint(both)).rejects.toThrow("kernel interrupt");

  const ambient2 = new AbortController(), mine2 = new AbortController();
  setAmbientSignalProvider(() => ambient2.signal);
  const both2 = resolveSignal(mine2.signal)!;
  mine2.abort(new Error("stop now"));
  await expect(checkpoint(both2)).rejects.toThrow("stop now");
  expect(ambient2.signal.aborted).toBe(false);
});

it("resolveSignal returns the one signal there is", () => {
  const mine = new AbortController();
  expect(resolveSignal(mine.signal)).toBe(mine.signal);
  expect(resolveSignal()).toBeUndefined();
  const ambient = new AbortController();
  setAmbientSignalProvider(() => ambient.signal);
  expect(resolveSignal()).toBe(ambient.signal);
  expect(resolveSignal(ambient.signal)).toBe(ambient.signal);
});
