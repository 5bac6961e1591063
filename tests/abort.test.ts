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

it("an explicit signal wins over the ambient one", async () => {
  const ambient = new AbortController(), mine = new AbortController();
  setAmbientSignalProvider(() => ambient.signal);
  expect(resolveSignal(mine.signal)).toBe(mine.signal);
  mine.abort(new Error("stop now"));
  await expect(checkpoint(mine.signal)).rejects.toThrow("stop now");
});
